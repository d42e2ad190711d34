<?php

/**
 * The password plugin's driver for the province's password service (POST /api/password).
 *
 * Debian's httpapi driver answers every refusal with Roundcube's bare "could not save"; the
 * service says why, in Vietnamese with a code (HYM021 a wrong current password, HYM022 and
 * its problems a new password that breaks Điều 8, HYM023/HYM024 try again later). This
 * driver shows that answer after Roundcube's own words.
 *
 * Configuration (config.inc.php, written by roles/mailserver/tasks/webmail.yml):
 *   $config['password_hymail_url']   the service's /api/password
 *   $config['password_http_client']  Guzzle options (the CA of a service on TLS)
 */
class rcube_hymail_password
{
    /**
     * @return int|array PASSWORD_SUCCESS, or [code, message] with the service's reason
     */
    function save($curpass, $newpass, $username)
    {
        $rcmail = rcmail::get_instance();
        $url = (string) $rcmail->config->get('password_hymail_url');

        try {
            $response = password::get_http_client()->request('POST', $url, [
                'form_params' => ['address' => $username, 'current' => $curpass, 'new' => $newpass],
                'headers'     => ['Accept' => 'application/json'],
                'http_errors' => false,
            ]);
            $status = $response->getStatusCode();
            $answer = json_decode((string) $response->getBody(), true);
        }
        catch (Exception $e) {
            rcube::raise_error(['code' => 600, 'file' => __FILE__, 'line' => __LINE__,
                'message' => 'Password plugin (hymail): ' . $e->getMessage()], true, false);

            return PASSWORD_CONNECT_ERROR;
        }

        if ($status == 200 && is_array($answer) && !empty($answer['ok'])) {
            return PASSWORD_SUCCESS;
        }

        if (!is_array($answer) || empty($answer['message'])) {
            // Not the service's answer (a proxy's error page): logged without the body.
            rcube::raise_error(['code' => 600, 'file' => __FILE__, 'line' => __LINE__,
                'message' => "Password plugin (hymail): unexpected answer, HTTP $status"], true, false);

            return PASSWORD_CONNECT_ERROR;
        }

        $reason = (string) $answer['message'];
        $problems = [];
        foreach ((array) ($answer['problems'] ?? []) as $problem) {
            if (is_array($problem) && !empty($problem['message'])) {
                $problems[] = (string) $problem['message'];
            }
        }
        if ($problems) {
            $reason .= ' ' . implode(' ', $problems);
        }

        // PASSWORD_ERROR: Roundcube's "Không thể lưu mật khẩu mới", then the service's reason.
        return ['code' => PASSWORD_ERROR, 'message' => '— ' . $reason];
    }
}
