package dev.kurz.click;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LinkDayTest {

    @Test
    void whatItWritesReadsBackTheSame() {
        var day = new LinkDay();
        day.addHour(0, 3, 1);
        day.addHour(23, 2, 0);
        day.addHour(0, 1, 0);
        day.addValue(Dimension.REFERRER, "direct", 4);
        day.addValue(Dimension.BROWSER, "Grüne \"Suite\"\n\\", 2);
        day.addValue(Dimension.COUNTRY, "CH", 1);

        assertThat(day.hoursJson()).isEqualTo("{\"0\":[4,1],\"23\":[2,0]}");
        var back = LinkDay.parse(day.hoursJson(), day.dimsJson());
        assertThat(back.clicks()).isEqualTo(6);
        assertThat(back.bots()).isEqualTo(1);
        assertThat(back.hoursJson()).isEqualTo(day.hoursJson());
        assertThat(back.dimsJson()).isEqualTo(day.dimsJson());
        assertThat(back.values(Dimension.BROWSER)).containsOnlyKeys("Grüne \"Suite\"\n\\");
        assertThat(back.values(Dimension.OS)).isEmpty();
    }

    @Test
    void aDimensionKeepsAtMostMaxValuesAndCountsTheRestAsOther() {
        var day = new LinkDay();
        for (int i = 0; i < LinkDay.MAX_VALUES + 50; i++) {
            day.addValue(Dimension.REFERRER, "r" + i + ".example", 1);
        }
        day.addValue(Dimension.REFERRER, "r0.example", 1); // a kept value still counts as itself
        var values = day.values(Dimension.REFERRER);
        assertThat(values).hasSize(LinkDay.MAX_VALUES + 1).containsKey(LinkDay.OTHER);
        assertThat(values.get(LinkDay.OTHER)[0]).isEqualTo(50);
        assertThat(values.get("r0.example")[0]).isEqualTo(2);
        assertThat(day.values(Dimension.BROWSER)).isEmpty();

        var stored = LinkDay.parse("{}", day.dimsJson());
        var more = new LinkDay();
        more.addValue(Dimension.REFERRER, "new.example", 3);
        stored.addAll(more);
        assertThat(stored.values(Dimension.REFERRER).get(LinkDay.OTHER)[0]).as("a full day takes no new value").isEqualTo(53);
    }

    @Test
    void aRowThatIsNotKurzsJsonIsAnErrorNamingTheColumn() {
        assertThatThrownBy(() -> LinkDay.parse("{\"24\":[1,0]}", "{}")).hasMessageContaining("click_days.hours");
        assertThatThrownBy(() -> LinkDay.parse("[1]", "{}")).hasMessageContaining("click_days.hours");
        assertThatThrownBy(() -> LinkDay.parse("{}", "{\"colour\":{\"red\":1}}")).hasMessageContaining("click_days.dims");
        assertThatThrownBy(() -> LinkDay.parse("{}", "{\"os\":{\"x\":\"1\"}}")).hasMessageContaining("click_days.dims");
    }
}
