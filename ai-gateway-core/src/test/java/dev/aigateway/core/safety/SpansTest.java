package dev.aigateway.core.safety;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The spans the text checks find, and their order for redaction. */
class SpansTest {

  @Test
  void sortOrdersByStartThenTagAndKeepsEachSpanWhole() {
    Spans spans = new Spans();
    spans.add(30, 34, "c", 1);
    spans.add(10, 14, "a", 0);
    spans.add(10, 12, "b", 2);
    spans.add(20, 25, "d", 0);
    spans.sort();
    assertThat(spans.size()).isEqualTo(4);
    assertThat(new int[] {spans.start(0), spans.start(1), spans.start(2), spans.start(3)})
        .containsExactly(10, 10, 20, 30);
    assertThat(new String[] {spans.kind(0), spans.kind(1), spans.kind(2), spans.kind(3)})
        .containsExactly("a", "b", "d", "c");
    assertThat(spans.end(1)).isEqualTo(12);
    assertThat(spans.tag(3)).isEqualTo(1);
  }

  @Test
  void manySpansOfTwoRulesSortInTimeThatGrowsGentlyWithTheirNumber() {
    // A long document to redact (a pasted export, say) can hold a match every few characters for
    // each of several rules; each rule's spans come in text order, one rule after the other, so
    // their merge must not cost the square of their number (an insertion sort takes minutes here).
    int perRule = 200_000;
    Spans spans = new Spans();
    for (int rule = 0; rule < 2; rule++) {
      for (int i = 0; i < perRule; i++) {
        int start = 10 * i + 5 * rule;
        spans.add(start, start + 3, rule == 0 ? "EMAIL" : "EMPLOYEE_ID", rule);
      }
    }
    assertTimeoutPreemptively(Duration.ofSeconds(20), spans::sort);
    for (int i = 1; i < spans.size(); i++) {
      assertThat(spans.start(i)).isGreaterThan(spans.start(i - 1));
      assertThat(spans.end(i) - spans.start(i)).isEqualTo(3);
      assertThat(spans.kind(i)).isEqualTo(i % 2 == 0 ? "EMAIL" : "EMPLOYEE_ID");
    }
  }
}
