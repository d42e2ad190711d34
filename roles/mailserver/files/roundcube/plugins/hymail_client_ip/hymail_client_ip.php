<?php

/**
 * hymail_client_ip: the webmail tells Dovecot whose login it passes on.
 *
 * Roundcube reaches IMAP from 127.0.0.1, so without this every failed login through the
 * webmail counts against that one address in Dovecot's auth penalty (up to 15 s for every
 * webmail user, not only the one who mistyped). Before LOGIN it sends IMAP ID with
 * x-originating-ip, the browser's address as Roundcube sees it behind the role's nginx
 * (Roundcube's preauth_ident; its 'ident' is sent only after the login). Dovecot believes
 * it only from login_trusted_networks (dovecot.conf: the host itself), and then logs and
 * penalises that address (docs/mailserver.md, "Login storms").
 */
class hymail_client_ip extends rcube_plugin
{
    function init()
    {
        $this->add_hook('storage_connect', [$this, 'storage_connect']);
    }

    function storage_connect($args)
    {
        $address = rcube_utils::remote_addr();
        if (!is_string($address) || $address === '') {
            return $args;
        }
        $ident = isset($args['preauth_ident']) && is_array($args['preauth_ident'])
            ? $args['preauth_ident'] : [];
        $ident['x-originating-ip'] = $address;
        $args['preauth_ident'] = $ident;

        return $args;
    }
}
