package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UserAgentsTest {

    /** What the statistics call a handful of real user agents: browser | OS | device. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 | Chrome | Windows | desktop",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1 | Mobile Safari | iOS | mobile",
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1 | Mobile Safari | iOS | tablet",
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 | Chrome Mobile | Android | mobile",
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 | Chrome | Android | tablet",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15 | Safari | Mac OS X | desktop",
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 | Firefox | Ubuntu | desktop",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 | Edge | Windows | desktop",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) | Googlebot | Other | bot",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots) | Slackbot-LinkExpanding | Other | bot",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php) | FacebookBot | Other | bot",
            "curl/8.5.0 | curl | Other | desktop",
    })
    void familiesComeFromUapAndTheDeviceTypeFromItsAnswer(String ua, String browser, String os, String device) {
        UserAgents.Agent agent = UserAgents.classify(ua);
        assertThat(agent.browser()).isEqualTo(browser);
        assertThat(agent.os()).isEqualTo(os);
        assertThat(agent.device()).isEqualTo(device);
        assertThat(agent.bot()).isEqualTo(device.equals("bot"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "   ",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Twitterbot/1.0",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "WhatsApp/2.23.20.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
            "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    })
    void botsAreRecognisedWithoutTheParser(String ua) {
        assertThat(UserAgents.isBot(ua)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Mozilla/5.0 (Linux; Android 12; CUBOT X70) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "curl/8.5.0",
            "Wget/1.21.4",
            "python-requests/2.32.3",
            "Java-http-client/25",
    })
    void browsersAndHttpLibrariesAreNotBots(String ua) {
        assertThat(UserAgents.isBot(ua)).isFalse();
    }

    @Test
    void aResolvedAgentIsCachedAndLongStringsAreCut() {
        var agents = new UserAgents();
        String ua = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assertThat(agents.cached(ua)).isNull();
        UserAgents.Agent resolved = agents.resolve(new String(ua)); // a different instance, equal text
        assertThat(agents.cached(ua)).isSameAs(resolved);
        assertThat(resolved.browser()).isEqualTo("Firefox");

        assertThat(UserAgents.normalize(null)).isEmpty();
        assertThat(UserAgents.normalize("x".repeat(5_000))).hasSize(UserAgents.MAX_LENGTH);
    }
}
