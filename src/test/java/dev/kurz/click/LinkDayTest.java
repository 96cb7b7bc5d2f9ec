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
    void theLastPlacesGoToTheMostClickedNewValues() {
        var day = new LinkDay();
        for (int i = 0; i < LinkDay.MAX_VALUES - 1; i++) {
            day.addValue(Dimension.REFERRER, "r" + i + ".example", 1);
        }
        var fold = new LinkDay();
        fold.addValue(Dimension.REFERRER, "a.example", 1);
        fold.addValue(Dimension.REFERRER, "b.example", 500);
        day.addAll(fold);
        assertThat(day.values(Dimension.REFERRER)).containsKey("b.example").doesNotContainKey("a.example");
        assertThat(day.values(Dimension.REFERRER).get(LinkDay.OTHER)[0]).isEqualTo(1);
    }

    @Test
    void aFoldsSumKeepsEveryValueAndIsCappedMostClickedFirstWhenItBecomesARow() {
        // A fold sums its batches first (in journal order) and decides the last places after.
        var sum = LinkDay.sum();
        for (int i = 0; i < LinkDay.MAX_VALUES + 50; i++) {
            sum.addValue(Dimension.REFERRER, "r" + i + ".example", i < LinkDay.MAX_VALUES ? 1 : 5);
        }
        assertThat(sum.values(Dimension.REFERRER)).hasSize(LinkDay.MAX_VALUES + 50).doesNotContainKey(LinkDay.OTHER);

        var row = sum.capped();
        assertThat(row.values(Dimension.REFERRER)).hasSize(LinkDay.MAX_VALUES + 1)
                .containsKey("r" + (LinkDay.MAX_VALUES + 49) + ".example");
        assertThat(row.values(Dimension.REFERRER).get(LinkDay.OTHER)[0]).as("fifty values clicked once").isEqualTo(50);
        assertThat(row.clicks()).isEqualTo(sum.clicks());

        var small = LinkDay.sum();
        small.addValue(Dimension.OS, "Linux", 2);
        assertThat(small.capped()).as("nothing to cap: no copy").isSameAs(small);
    }

    @Test
    void addsSayWhetherTheyStartedAnHourOrAValue() {
        var day = new LinkDay();
        assertThat(day.addHour(5, 1, 0)).isTrue();
        assertThat(day.addHour(5, 0, 2)).isFalse();
        assertThat(day.addValue(Dimension.OS, "Linux", 1)).isTrue();
        assertThat(day.addValue(Dimension.OS, "Linux", 1)).isFalse();
        assertThat(day.hoursJson()).isEqualTo("{\"5\":[1,2]}");
    }

    @Test
    void aStoredRowKeepsEveryValueItHoldsAndOnlyNewOnesAreCapped() {
        // V7 migrates days of the old tables as they were, which may hold more values than the cap.
        var json = new StringBuilder("{\"referrer\":{");
        for (int i = 0; i < LinkDay.MAX_VALUES + 200; i++) {
            json.append(i == 0 ? "" : ",").append("\"r").append(i).append(".example\":").append(1 + i % 7);
        }
        var day = LinkDay.parse("{}", json.append("}}").toString());
        assertThat(day.values(Dimension.REFERRER)).hasSize(LinkDay.MAX_VALUES + 200).doesNotContainKey(LinkDay.OTHER);
        day.addValue(Dimension.REFERRER, "r5.example", 10);
        day.addValue(Dimension.REFERRER, "new.example", 3);
        assertThat(day.values(Dimension.REFERRER).get("r5.example")[0]).isEqualTo(1 + 5 + 10);
        assertThat(day.values(Dimension.REFERRER).get(LinkDay.OTHER)[0]).isEqualTo(3);
    }

    @Test
    void valuesMadeToShareAHashBucketStillReadBack() {
        // "ar" and "c0" hash alike in Jackson's name table, so all 2^10 hosts built from ten of
        // them do; a canonicalizing parser refuses such an object after a hundred or so.
        var day = new LinkDay();
        for (int i = 0; i < 1 << 10; i++) {
            var host = new StringBuilder();
            for (int b = 0; b < 10; b++) {
                host.append((i >> b & 1) == 0 ? "ar" : "c0");
            }
            day.addValue(Dimension.REFERRER, host.append(".example").toString(), 1);
        }
        var back = LinkDay.parse("{}", day.dimsJson());
        assertThat(back.values(Dimension.REFERRER)).hasSize(LinkDay.MAX_VALUES + 1);
        assertThat(back.dimsJson()).isEqualTo(day.dimsJson());
    }

    @Test
    void aRowThatIsNotKurzsJsonIsAnErrorNamingTheColumn() {
        assertThatThrownBy(() -> LinkDay.parse("{\"24\":[1,0]}", "{}")).hasMessageContaining("click_days.hours");
        assertThatThrownBy(() -> LinkDay.parse("[1]", "{}")).hasMessageContaining("click_days.hours");
        assertThatThrownBy(() -> LinkDay.parse("{}", "{\"colour\":{\"red\":1}}")).hasMessageContaining("click_days.dims");
        assertThatThrownBy(() -> LinkDay.parse("{}", "{\"os\":{\"x\":\"1\"}}")).hasMessageContaining("click_days.dims");
    }
}
