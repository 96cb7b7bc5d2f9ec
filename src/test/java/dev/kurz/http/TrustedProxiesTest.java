package dev.kurz.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TrustedProxiesTest {

    @Test
    void matchesAddressesInsideTheConfiguredRanges() {
        var proxies = TrustedProxies.parse("10.0.0.0/8, 192.168.1.7, ::1/128, fd00::/8");
        assertThat(proxies.trusts("10.1.2.3")).isTrue();
        assertThat(proxies.trusts("11.0.0.1")).isFalse();
        assertThat(proxies.trusts("192.168.1.7")).isTrue();
        assertThat(proxies.trusts("192.168.1.8")).isFalse();
        assertThat(proxies.trusts("::1")).isTrue();
        assertThat(proxies.trusts("fd12::5")).isTrue();
        assertThat(proxies.trusts("fe80::1")).isFalse();
        assertThat(proxies.trusts("example.com")).isFalse(); // never resolved
        assertThat(proxies.trusts("999.1.1.1")).isFalse();   // not a literal, and no DNS lookup
        assertThat(TrustedProxies.literal("10.0.0.256")).isNull();
        assertThat(TrustedProxies.NONE.trusts("127.0.0.1")).isFalse();
    }

    @Test
    void refusesMalformedRanges() {
        assertThatThrownBy(() -> TrustedProxies.parse("10.0.0.0/33")).hasMessageContaining("prefix");
        assertThatThrownBy(() -> TrustedProxies.parse("proxy.internal")).hasMessageContaining("proxy.internal");
        assertThatThrownBy(() -> TrustedProxies.parse("1.2.3")).hasMessageContaining("1.2.3");
    }
}
