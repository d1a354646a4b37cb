package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The search for a content filter's mark that every answer in OpenAI's shapes goes through. */
class FailedAnswersTest {

  private static final String MARK = "\"content_filter\"";

  @Test
  void theSearchFindsTheMarkWhereverItStandsAndNothingElse() {
    Random random = new Random(42);
    // Texts made of the mark's own bytes and JSON's, so that near misses are common.
    String alphabet = "\"content_filter_resultsfinish:{}, ";
    for (int round = 0; round < 20_000; round++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(80);
      for (int i = 0; i < length; i++) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      if (random.nextInt(4) == 0) {
        text.insert(random.nextInt(text.length() + 1), MARK);
      }
      byte[] bytes = ("  " + text + "  ").getBytes(StandardCharsets.US_ASCII);
      int from = random.nextInt(3);
      int to = bytes.length - random.nextInt(3);
      boolean expected =
          new String(bytes, from, to - from, StandardCharsets.US_ASCII).contains(MARK);

      assertThat(FailedAnswers.holdsContentFilter(bytes, from, to))
          .as("[%s] from %d to %d", new String(bytes, StandardCharsets.US_ASCII), from, to)
          .isEqualTo(expected);
    }
  }

  @Test
  void aFinishedChoiceIsFoundAndTheFiltersResultsAreNot() {
    byte[] filtered =
        ("{\"choices\":[{\"index\":0,\"finish_reason\":\"content_filter\","
                + "\"content_filter_results\":{}}]}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] whole =
        ("{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
                + "\"content_filter_results\":{\"hate\":{\"filtered\":false}}}]}")
            .getBytes(StandardCharsets.UTF_8);

    assertThat(FailedAnswers.filtered(filtered, 0, filtered.length)).isTrue();
    assertThat(FailedAnswers.failed(filtered, false)).isTrue();
    assertThat(FailedAnswers.filtered(whole, 0, whole.length)).isFalse();
    assertThat(FailedAnswers.failed(whole, false)).isFalse();
  }

  @Test
  void aPromptRefusalIsToldByItsErrorsCodeOrItsInnerErrorsOnly() {
    String[] refusals = {
      "{\"error\":{\"code\":\"content_filter\",\"message\":\"filtered\",\"status\":400,"
          + "\"innererror\":{\"code\":\"ResponsibleAIPolicyViolation\","
          + "\"content_filter_result\":{\"hate\":{\"filtered\":true,\"severity\":\"high\"}}}}}",
      // Azure AI Foundry's model inference: the code only
      "{\"error\":{\"code\":\"content_filter\",\"message\":\"The response was filtered\"}}",
      // the inner error only, in either spelling
      "{\"error\":{\"code\":\"BadRequest\",\"innererror\":{\"code\":"
          + "\"ResponsibleAIPolicyViolation\"}}}",
      "{\"error\":{\"code\":\"content_policy_violation\",\"inner_error\":{\"code\":"
          + "\"ResponsibleAIPolicyViolation\"}}}"
    };
    String[] others = {
      "{\"error\":{\"code\":\"context_length_exceeded\",\"message\":\"too long\"}}",
      // the words inside a message, a string other than the code, or not an error object
      "{\"error\":{\"code\":\"invalid_request\",\"message\":\"\\\"content_filter\\\"\"}}",
      "{\"error\":{\"code\":\"invalid_request\",\"param\":\"content_filter\"}}",
      "{\"error\":\"content_filter\"}",
      "{\"code\":\"content_filter\"}",
      "{\"error\":{\"code\":\"content_filter\"",
      "not json \"content_filter\"",
      ""
    };
    for (String refusal : refusals) {
      byte[] bytes = (refusal + "   trailing room").getBytes(StandardCharsets.UTF_8);
      assertThat(FailedAnswers.promptFiltered(bytes, refusal.length())).as(refusal).isTrue();
    }
    for (String other : others) {
      byte[] bytes = other.getBytes(StandardCharsets.UTF_8);
      assertThat(FailedAnswers.promptFiltered(bytes, bytes.length)).as(other).isFalse();
    }
  }
}
