package dev.kurz.redirect;

import dev.kurz.http.Pages;

/**
 * The page a password-protected short link shows instead of redirecting: one form that POSTs the
 * password back to the short link itself, so the password travels in a request body and never in
 * a URL (where logs, proxies and browser history would keep it). No script: the page works under
 * the same {@code default-src 'none'} policy as every other page.
 */
final class PasswordPage {

    private PasswordPage() {}

    /** The form for {@code code}; {@code notice} (e.g. "Wrong password.") is shown above it if not null. */
    static String form(String code, String notice) {
        String c = Pages.escape(code);
        return Pages.page("Password required", """
                <h1>This link is password-protected</h1>
                <p>Enter its password to continue to where it goes.</p>
                %s<form method="post" action="/%s">
                <label for="password">Password</label>
                <input type="password" id="password" name="password" required minlength="1" maxlength="256"
                 autocomplete="current-password" autofocus>
                <button type="submit">Continue</button>
                </form>
                """.formatted(notice == null ? "" : "<p class=\"notice\">" + Pages.escape(notice) + "</p>\n", c));
    }
}
