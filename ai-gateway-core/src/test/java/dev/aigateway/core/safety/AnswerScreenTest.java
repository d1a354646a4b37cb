package dev.aigateway.core.safety;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.SafetyOutcome;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.adapter.GovernedCall;
import dev.aigateway.core.adapter.PostedRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Streamed answers screened in windows, driven as an adapter drives a call. */
class AnswerScreenTest {

  private final List<GatewayEvent> events = new CopyOnWriteArrayList<>();

  private AiGateway gateway(ContentSafety.Builder safety) {
    return AiGateway.builder().listener(events::add).contentSafety(safety).build();
  }

  private static String read(InputStream body) throws IOException {
    // Read in small pieces, as an application reading a stream does.
    StringBuilder out = new StringBuilder();
    byte[] buffer = new byte[7];
    int n;
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    while ((n = body.read(buffer, 0, buffer.length)) >= 0) {
      bytes.write(buffer, 0, n);
    }
    body.close();
    return out.append(bytes.toString(StandardCharsets.UTF_8)).toString();
  }

  private static InputStream bytes(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aResponsesApiStreamEndsWithItsOwnErrorEvent() throws IOException {
    AiGateway gateway = gateway(ContentSafety.builder().denyWords("secret").screenAnswers(8, 4));
    GovernedCall call =
        gateway.begin(
            new CallMatch(Operation.RESPONSES, null),
            PostedRequest.of(
                "https://api.example.com/v1/responses",
                "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"stream\":true}"));
    assertThat(call.admit().rejection()).isNull();
    String stream =
        "event: response.output_text.delta\r\n"
            // a window that ends after a word: the event passes before the next one comes
            + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"The plan:\"}\r\n\r\n"
            + "event: response.output_text.delta\r\n"
            + "data: {\"type\":\"response.output_text.delta\",\"delta\":\" is secret\"}\r\n\r\n"
            + "event: response.completed\r\n"
            + "data: {\"type\":\"response.completed\",\"response\":{\"usage\":"
            + "{\"input_tokens\":5,\"output_tokens\":4,\"total_tokens\":9}}}\r\n\r\n";

    String appSaw =
        read(call.observeResponse(200, "text/event-stream", bytes(stream), () -> false));

    assertThat(appSaw).contains("The plan").doesNotContain("secret\"").doesNotContain("completed");
    assertThat(appSaw)
        .endsWith("\n\n")
        .contains("event: error\ndata: {\"type\":\"error\",\"code\":\"content_filter\"");
    assertThat(events).hasSize(1);
    GatewayEvent event = events.get(0);
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
  }

  @Test
  void theRestOfTheTextIsCheckedAtTheFinishingEventBeforeItPasses() throws IOException {
    AiGateway gateway =
        gateway(ContentSafety.builder().denyWords("secret").screenAnswers(1_000, 10));
    GovernedCall call = chatStream(gateway);
    String chunk = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a secret\"}}]}\n\n";
    String finish =
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

    String appSaw =
        read(
            call.observeResponse(
                200, "text/event-stream", bytes(chunk + finish + "data: [DONE]\n\n"), () -> false));

    // The window never filled; the finishing chunk waited for the check of what came before it.
    assertThat(appSaw).startsWith(chunk).doesNotContain("finish_reason").doesNotContain("[DONE]");
    assertThat(events.get(0).safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
  }

  @Test
  void aLastEventWithoutItsBlankLineIsCheckedBeforeItPasses() throws IOException {
    AiGateway gateway =
        gateway(ContentSafety.builder().denyWords("secret").screenAnswers(1_000, 10));
    GovernedCall call = chatStream(gateway);
    String first = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a plan\"}}]}\r\r";
    String last = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a secret\"}}]}";

    String appSaw =
        read(call.observeResponse(200, "text/event-stream", bytes(first + last), () -> false));

    // The stream ended without the last event's blank line: its text was checked all the same,
    // and the application read the error event in its place; the call's one event says so.
    assertThat(appSaw)
        .startsWith(first)
        .doesNotContain("a secret")
        .contains("\"code\":\"content_filter\"");
    assertThat(events).hasSize(1);
    assertBlockedAtTheEnd(events.get(0));
  }

  @Test
  void textBlockedInTheLastBytesOfAStreamWithHiddenUsageEndsTheCallBlocked() throws IOException {
    // The gateway asks for usage and hides it: the observed body holds the last events when it
    // reads the backend's end, and the screen sees them only after that.
    AiGateway gateway = screeningSecrets();
    String last = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a secret\"}}]}\n\n";

    for (String tail : List.of(last, last + USAGE, last + USAGE + "data: [DONE]")) {
      events.clear();
      GovernedCall call = chatStream(gateway);
      String appSaw =
          read(call.observeResponse(200, "text/event-stream", bytes(PLAN + tail), () -> false));

      // The window never filled, so the text passed; the check at the stream's end blocked it.
      assertThat(appSaw).startsWith(PLAN + last).endsWith("\n\n").contains("content_filter");
      assertThat(appSaw).doesNotContain("[DONE]").doesNotContain("prompt_tokens");
      assertThat(events).as(tail).hasSize(1);
      assertBlockedAtTheEnd(events.get(0));
    }
  }

  @Test
  void aStreamThatPassesEndsOnceAsASuccessWhenReadToItsEndOrClosedEarly() throws IOException {
    AiGateway gateway = screeningSecrets();

    String appSaw =
        read(
            chatStream(gateway)
                .observeResponse(
                    200,
                    "text/event-stream",
                    bytes(PLAN + USAGE + "data: [DONE]\n\n"),
                    () -> false));

    assertThat(appSaw).isEqualTo(PLAN + "data: [DONE]\n\n"); // the usage was the gateway's
    assertThat(events).hasSize(1);
    assertThat(events.get(0).outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(events.get(0).usage().tokens().totalTokens()).isEqualTo(9);
    assertThat(events.get(0).safety().outcome()).isEqualTo(SafetyOutcome.PASSED);

    // Closed once [DONE] was read, before the end: the end held back is reported at the close.
    events.clear();
    InputStream body =
        chatStream(gateway)
            .observeResponse(
                200, "text/event-stream", bytes(PLAN + USAGE + "data: [DONE]\n\n"), () -> false);
    byte[] seen = body.readNBytes((PLAN + "data: [DONE]\n\n").length());
    assertThat(new String(seen, StandardCharsets.UTF_8)).endsWith("[DONE]\n\n");
    assertThat(events).isEmpty();
    body.close();
    assertThat(events).hasSize(1);
    assertThat(events.get(0).outcome()).isEqualTo(CallOutcome.SUCCESS);
    body.close();
    assertThat(events).hasSize(1);
  }

  private static final String PLAN =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a plan\"}}]}\n\n";

  /** A usage chunk, as a backend asked for usage sends it last. */
  private static final String USAGE =
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4,"
          + "\"total_tokens\":9}}\n\n";

  /** A gateway that blocks answers saying "secret", checked in windows of 1,000 characters. */
  private AiGateway screeningSecrets() {
    return gateway(ContentSafety.builder().denyWords("secret").screenAnswers(1_000, 10));
  }

  private static GovernedCall chatStream(AiGateway gateway) {
    GovernedCall call =
        gateway.begin(
            new CallMatch(Operation.CHAT_COMPLETIONS, null),
            PostedRequest.of(
                "https://api.example.com/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"hi\"}]}"));
    assertThat(call.admit().rejection()).isNull();
    return call;
  }

  private static void assertBlockedAtTheEnd(GatewayEvent event) {
    assertThat(event.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(event.errorType()).isEqualTo(SafetyStage.ANSWER_BLOCKED);
    assertThat(event.safety().outcome()).isEqualTo(SafetyOutcome.ANSWER_BLOCKED);
  }

  @Test
  void theOverlapCutInsideAWordDoesNotMakeItsTailAWholeWord() throws IOException {
    // "ass" is denied as a whole word; "class" must not be taken for it when the overlap kept
    // from one window to the next starts inside "class" (its last three characters).
    AiGateway gateway = gateway(ContentSafety.builder().denyWords("ass").screenAnswers(10, 3));
    String stream = chunk("our first class") + chunk(" is here") + FINISH + "data: [DONE]\n\n";

    String appSaw =
        read(
            chatStream(gateway)
                .observeResponse(200, "text/event-stream", bytes(stream), () -> false));

    assertThat(appSaw).isEqualTo(stream);
    assertThat(events).hasSize(1);
    assertThat(events.get(0).outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(events.get(0).safety().outcome()).isEqualTo(SafetyOutcome.PASSED);

    // A word that does start in the overlap is still found.
    events.clear();
    String split = chunk("look at my ") + chunk("ass now") + FINISH + "data: [DONE]\n\n";
    String blocked =
        read(
            chatStream(gateway)
                .observeResponse(200, "text/event-stream", bytes(split), () -> false));
    assertThat(blocked).startsWith(chunk("look at my ")).contains("content_filter");
    assertThat(events).hasSize(1);
    assertBlockedAtTheEnd(events.get(0));
  }

  @Test
  void aWordTheWindowCutsIsJudgedWithTheTextThatCompletesIt() throws IOException {
    // The first chunk fills the window and ends inside "assignment": its end is no whole "ass".
    AiGateway gateway = gateway(ContentSafety.builder().denyWords("ass").screenAnswers(10, 3));
    String stream = chunk("your next ass") + chunk("ignment is due") + FINISH + "data: [DONE]\n\n";

    String appSaw =
        read(
            chatStream(gateway)
                .observeResponse(200, "text/event-stream", bytes(stream), () -> false));

    assertThat(appSaw).isEqualTo(stream);
    assertThat(events).hasSize(1);
    assertThat(events.get(0).outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(events.get(0).safety().outcome()).isEqualTo(SafetyOutcome.PASSED);

    // The cut word that is whole after all is blocked, and its chunk never reached the application.
    events.clear();
    String whole = chunk("your next ass") + chunk(" is due") + FINISH + "data: [DONE]\n\n";
    String blocked =
        read(
            chatStream(gateway)
                .observeResponse(200, "text/event-stream", bytes(whole), () -> false));
    assertThat(blocked).doesNotContain("next ass").contains("content_filter");
    assertThat(events).hasSize(1);
    assertBlockedAtTheEnd(events.get(0));

    // So is one the stream ends on.
    events.clear();
    String last = chunk("your next ass");
    String blockedAtEnd =
        read(
            chatStream(gateway)
                .observeResponse(200, "text/event-stream", bytes(last), () -> false));
    assertThat(blockedAtEnd).doesNotContain("next ass").contains("content_filter");
    assertBlockedAtTheEnd(events.get(0));
  }

  @Test
  void aWordInMathematicalLettersOrUnderDiacriticsTheWindowCutsIsJudgedWhole() throws IOException {
    // The deny list reads these spellings as the word; a window ending inside such a word (on a
    // letter beyond the BMP, or on a diacritic over a letter) waits for the text that completes it,
    // as one ending on an ASCII letter does, and is not blocked for a word that is not there.
    AiGateway gateway = gateway(ContentSafety.builder().denyWords("ass").screenAnswers(10, 3));
    String bold = "\uD835\uDC1A\uD835\uDC2C\uD835\uDC2C"; // ass
    String struck = "a\u0336s\u0336s\u0336";
    for (String[] cut :
        List.of(
            new String[] {bold, "\uD835\uDC22\uD835\uDC20\uD835\uDC27ment is due"},
            new String[] {struck, "i\u0336gnment is due"})) {
      events.clear();
      String stream = chunk("your next " + cut[0]) + chunk(cut[1]) + FINISH + "data: [DONE]\n\n";
      String appSaw =
          read(
              chatStream(gateway)
                  .observeResponse(200, "text/event-stream", bytes(stream), () -> false));
      assertThat(appSaw).as(cut[1]).isEqualTo(stream);
      assertThat(events.get(0).safety().outcome()).isEqualTo(SafetyOutcome.PASSED);

      events.clear();
      String whole = chunk("your next " + cut[0]) + chunk(" is due") + FINISH + "data: [DONE]\n\n";
      String blocked =
          read(
              chatStream(gateway)
                  .observeResponse(200, "text/event-stream", bytes(whole), () -> false));
      assertThat(blocked).doesNotContain("next").contains("content_filter");
      assertBlockedAtTheEnd(events.get(0));
    }
  }

  @Test
  void aWordLongerThanTheOverlapThatComesInThreeChunksIsFoundWhole() throws IOException {
    // A model streams a token at a time: "sec", "r", "et". The first chunk fills the window inside
    // the word, the second completes no word, and the overlap kept after that check (3 chars) is
    // shorter than the word: the word must still be read from its start when "et" comes.
    AiGateway gateway = gateway(ContentSafety.builder().denyWords("secret").screenAnswers(10, 3));
    for (String[] pieces :
        List.of(
            new String[] {"we keep the sec", "r", "et now"},
            new String[] {"we keep the s", "e", "c", "r", "et now"},
            new String[] {"we keep the se\u200Bc", "r", "et now"})) {
      events.clear();
      StringBuilder stream = new StringBuilder();
      for (String piece : pieces) {
        stream.append(chunk(piece));
      }
      stream.append(FINISH).append("data: [DONE]\n\n");

      String appSaw =
          read(
              chatStream(gateway)
                  .observeResponse(
                      200, "text/event-stream", bytes(stream.toString()), () -> false));

      // Blocked at the window's check (up to a window of text passes before it, as ever).
      assertThat(appSaw).as(String.join("|", pieces)).contains("content_filter");
      assertThat(events).hasSize(1);
      assertBlockedAtTheEnd(events.get(0));
    }
    // The word kept whole is still judged as a whole word: "secretary" is none.
    events.clear();
    String secretary =
        chunk("we keep the sec") + chunk("r") + chunk("etary now") + FINISH + "data: [DONE]\n\n";
    assertThat(
            read(
                chatStream(gateway)
                    .observeResponse(200, "text/event-stream", bytes(secretary), () -> false)))
        .isEqualTo(secretary);
    assertThat(events.get(0).safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
  }

  private static String chunk(String text) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"}}]}\n\n";
  }

  private static final String FINISH =
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

  private static String choiceChunk(int index, String text) {
    return "data: {\"choices\":[{\"index\":"
        + index
        + ",\"delta\":{\"content\":\""
        + text
        + "\"}}]}\n\n";
  }

  @Test
  void eachChoiceOfAStreamIsScreenedAsItsOwnText() throws IOException {
    // n = 2: the backend interleaves the two answers' chunks. "forbidden" is split across two
    // chunks of the second answer with a chunk of the first between them; the first answer's
    // "forb" and the second's "idden" must not make one word either.
    AiGateway gateway =
        gateway(ContentSafety.builder().denyWords("forbidden").screenAnswers(1_000, 10));
    String finish =
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"},"
            + "{\"index\":1,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
    String hidden =
        choiceChunk(0, "Hello")
            + choiceChunk(1, "The")
            + choiceChunk(0, " world")
            + choiceChunk(1, " forb")
            + choiceChunk(0, " and")
            + choiceChunk(1, "idden")
            + choiceChunk(0, " more")
            + choiceChunk(1, " word")
            + finish
            + "data: [DONE]\n\n";

    String appSaw =
        read(
            chatStream(gateway)
                .observeResponse(200, "text/event-stream", bytes(hidden), () -> false));

    assertThat(appSaw).contains("content_filter").doesNotContain("[DONE]");
    assertThat(events).hasSize(1);
    assertBlockedAtTheEnd(events.get(0));

    // Two clean answers whose pieces would spell the word only when run together pass.
    events.clear();
    String clean =
        choiceChunk(0, "we forb") + choiceChunk(1, "idden fruit") + finish + "data: [DONE]\n\n";
    String passed =
        read(
            chatStream(gateway)
                .observeResponse(200, "text/event-stream", bytes(clean), () -> false));
    assertThat(passed).isEqualTo(clean);
    assertThat(events).hasSize(1);
    assertThat(events.get(0).safety().outcome()).isEqualTo(SafetyOutcome.PASSED);
  }

  @Test
  void whatIsConfiguredDecidesWhatIsChecked() {
    ContentSafety promptOnly = ContentSafety.builder().denyWords("x").build();
    assertThat(promptOnly.screensAnswers()).isFalse();
    ContentSafety both = ContentSafety.builder().denyWords("x").screenAnswers(10, 2).build();
    assertThat(both.checksPrompt()).isTrue(); // text checks apply to the prompt and the answer
    assertThat(both.screensAnswers()).isTrue();
    assertThat(ContentSafety.builder().screenAnswers(10, 2).build().screensAnswers()).isFalse();
    assertThat(SafetyStage.of(ContentSafety.builder().build())).isNull();
  }
}
