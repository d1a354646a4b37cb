package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.wire.WireFormat.AnswerDefect;
import java.io.ByteArrayOutputStream;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * The one reading of an answer about to be stored that decides whether it is whole and well-formed:
 * an answer both unfinished and malformed is unfinished, and a value read for whether the answer
 * finished is still read whole for whether it is JSON.
 */
class UnfinishedAnswersTest {

  private static byte[] events(String... data) {
    StringBuilder stream = new StringBuilder();
    for (String d : data) {
      stream.append("data: ").append(d).append("\n\n");
    }
    return stream.append("data: [DONE]\n\n").toString().getBytes(UTF_8);
  }

  private static final String CHOICE_0_DONE =
      "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}";
  private static final String CHOICE_1_TEXT =
      "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}";

  @Test
  void aChatChunkWithBytesAfterItsObjectIsMalformedThoughEveryChoiceFinished() {
    assertThat(UnfinishedAnswers.choicesDefect(events(CHOICE_0_DONE))).isNull();
    assertThat(UnfinishedAnswers.choicesDefect(events(CHOICE_0_DONE + " ]")))
        .isEqualTo(AnswerDefect.MALFORMED);
  }

  @Test
  void aChatStreamBothUnfinishedAndMalformedIsUnfinished() {
    assertThat(UnfinishedAnswers.choicesDefect(events(CHOICE_1_TEXT, "{\"choi", CHOICE_0_DONE)))
        .isEqualTo(AnswerDefect.UNFINISHED);
  }

  @Test
  void aChoiceWhoseIndexIsNotASmallWholeNumberLeavesTheStreamUnfinished() {
    String odd = CHOICE_0_DONE.replace("\"index\":0", "\"index\":{\"n\":0}");
    assertThat(UnfinishedAnswers.choicesDefect(events(odd, CHOICE_0_DONE)))
        .isEqualTo(AnswerDefect.UNFINISHED);
  }

  @Test
  void anAnthropicEventGivingTheStopReasonIsReadWholeForItsJson() {
    String text = "{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Red.\"}}";
    String delta = "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}";
    assertThat(UnfinishedAnswers.anthropicDefect(events(text, delta), true)).isNull();
    assertThat(UnfinishedAnswers.anthropicDefect(events(text + " {", delta), true))
        .isEqualTo(AnswerDefect.MALFORMED);
    // an event that is not JSON read whole tells no stop reason
    assertThat(UnfinishedAnswers.anthropicDefect(events(text, delta + " {"), true))
        .isEqualTo(AnswerDefect.UNFINISHED);
    assertThat(
            UnfinishedAnswers.anthropicDefect(
                events(delta.replace("end_turn", "pause_turn")), true))
        .isEqualTo(AnswerDefect.UNFINISHED);
  }

  private static byte[] frames(String[]... typeAndPayload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String[] frame : typeAndPayload) {
      out.writeBytes(EventStreamMessage.event(frame[0], frame[1].getBytes(UTF_8)).encode());
    }
    return out.toByteArray();
  }

  @Test
  void aConverseStreamsFramesAreReadWholeForTheirJson() {
    String[] delta = {"contentBlockDelta", "{\"delta\":{\"text\":\"Red.\"}}"};
    String[] stop = {"messageStop", "{\"stopReason\":\"end_turn\"}"};
    assertThat(UnfinishedAnswers.converseStreamDefect(frames(delta, stop))).isNull();
    assertThat(
            UnfinishedAnswers.converseStreamDefect(
                frames(new String[] {"contentBlockDelta", delta[1] + "}"}, stop)))
        .isEqualTo(AnswerDefect.MALFORMED);
    // a messageStop that is not JSON read whole tells no stop reason
    assertThat(
            UnfinishedAnswers.converseStreamDefect(
                frames(delta, new String[] {"messageStop", stop[1] + "}"})))
        .isEqualTo(AnswerDefect.UNFINISHED);
    assertThat(UnfinishedAnswers.converseStreamDefect(frames(delta)))
        .isEqualTo(AnswerDefect.UNFINISHED);
  }

  private static String[] claudeChunk(String event) {
    return new String[] {
      "chunk", "{\"bytes\":\"" + Base64.getEncoder().encodeToString(event.getBytes(UTF_8)) + "\"}"
    };
  }

  @Test
  void aClaudeChunkOnBedrockWhosePayloadIsNotJsonIsMalformed() {
    String[] text = claudeChunk("{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Red.\"}}");
    String[] stop =
        claudeChunk("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}");
    assertThat(UnfinishedAnswers.bedrockAnthropicDefect(frames(text, stop), true)).isNull();
    String[] mangled = {"chunk", text[1].substring(2)};
    assertThat(UnfinishedAnswers.bedrockAnthropicDefect(frames(mangled, stop), true))
        .isEqualTo(AnswerDefect.MALFORMED);
    assertThat(UnfinishedAnswers.bedrockAnthropicDefect(frames(text), true))
        .isEqualTo(AnswerDefect.UNFINISHED);
  }

  @Test
  void aGeminiCandidateIsKnownByItsIndexElseItsPlace() {
    String both =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Red\"}]}},"
            + "{\"content\":{\"parts\":[{\"text\":\"Blue\"}]},\"index\":1}]}";
    String firstDone = "{\"candidates\":[{\"finishReason\":\"STOP\"}]}";
    String secondDone = "{\"candidates\":[{\"finishReason\":\"STOP\",\"index\":1}]}";
    assertThat(UnfinishedAnswers.candidatesDefect(events(both, firstDone, secondDone))).isNull();
    assertThat(UnfinishedAnswers.candidatesDefect(events(both, firstDone)))
        .isEqualTo(AnswerDefect.UNFINISHED);
    assertThat(UnfinishedAnswers.candidatesDefect(events(both, secondDone)))
        .isEqualTo(AnswerDefect.UNFINISHED);
    assertThat(UnfinishedAnswers.candidatesDefect(events("{\"usageMetadata\":{}}")))
        .isEqualTo(AnswerDefect.UNFINISHED);
  }
}
