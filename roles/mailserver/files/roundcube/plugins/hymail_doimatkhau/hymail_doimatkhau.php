<?php

/**
 * hymail_doimatkhau: an official who logs in with the initial password is led to the
 * province's password page.
 *
 * While an account has not changed the password it was issued, the IMAP server refuses the
 * right password with "NO [ALERT] <reason>", the reason naming the password page (its path
 * holds "doimatkhau"). On that refusal (hook login_failed) the login page shows, in
 * Vietnamese with code HYM070, why and a link to the page (hymail_password_page). Any other
 * failure (a wrong password) keeps Roundcube's ordinary message.
 *
 * Configuration (config.inc.php, written by roles/mailserver/tasks/webmail.yml):
 *   $config['hymail_password_page']      the password page's URL
 *   $config['hymail_must_change_marker'] what the IMAP server's answer holds ('doimatkhau')
 */
class hymail_doimatkhau extends rcube_plugin
{
    public $task = 'login|logout';

    private $must_change = false;

    private $address = '';

    function init()
    {
        $this->add_hook('login_failed', [$this, 'login_failed']);
        $this->add_hook('render_page', [$this, 'render_page']);
    }

    /**
     * The IMAP server's answer to the failed login: does it ask for the password change?
     */
    function login_failed($args)
    {
        $rcmail = rcmail::get_instance();
        $marker = (string) $rcmail->config->get('hymail_must_change_marker', 'doimatkhau');
        $answer = $rcmail->storage ? (string) $rcmail->storage->get_error_str() : '';

        if ($marker === '' || stripos($answer, $marker) === false) {
            return $args;
        }

        $this->must_change = true;
        $this->address = $this->full_address((string) $args['user']);
        $this->add_texts('localization/');
        $rcmail->output->show_message('hymail_doimatkhau.mustchange', 'error',
            ['url' => $this->password_page()], true, 0);

        return $args;
    }

    /**
     * The login page after such a refusal: the reason and a link to the password page,
     * inside the login form, above its fields.
     */
    function render_page($args)
    {
        if (!$this->must_change || $args['template'] != 'login') {
            return $args;
        }

        // The password page fills in the address it is given (?address=).
        $page = $this->password_page();
        $url  = $page . (strpos($page, '?') === false ? '?' : '&')
            . 'address=' . rawurlencode($this->address);
        $box  = html::div(['id' => 'hymail-doimatkhau', 'class' => 'alert alert-warning boxwarning',
                'role' => 'alert'],
            html::p(null, rcube::Q($this->gettext('mustchange_box')))
            . html::p(null, html::a(['href' => $url, 'id' => 'hymail-doimatkhau-link'],
                rcube::Q($this->gettext('changenow')))));

        // Inside the login form, above its fields.
        $content = preg_replace_callback('/<form\b[^>]*>/i',
            function ($match) use ($box) { return $match[0] . $box; }, $args['content'], 1, $count);
        $args['content'] = $count ? $content : $args['content'];

        return $args;
    }

    /**
     * The login as an address: Roundcube appends username_domain to a bare local part.
     */
    private function full_address($user)
    {
        $domain = (string) rcmail::get_instance()->config->get('username_domain', '');

        return (strpos($user, '@') === false && $domain !== '') ? $user . '@' . $domain : $user;
    }

    private function password_page()
    {
        return (string) rcmail::get_instance()->config->get('hymail_password_page', '/doimatkhau');
    }
}
