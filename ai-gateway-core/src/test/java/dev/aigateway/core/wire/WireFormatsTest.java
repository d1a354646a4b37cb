package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallMatchers;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.wire.tiny.TinyCall;
import dev.aigateway.core.wire.tiny.TinyFormat;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class WireFormatsTest {

  private static final Function<String, String> NO_HEADERS = name -> null;
  private static final Function<String, String> TINY_HEADERS =
      Map.of(TinyFormat.VERSION_HEADER, "1")::get;

  private static ClientRequest posted(String path) {
    return PostedRequest.of("https://api.example.com" + path, "{}");
  }

  /**
   * A refusal the gateway makes must reach the application in the provider's shape, whatever the
   * reason and the format: a format without a shape for a reason turned that refusal into an
   * exception inside the gateway (an IOException for the application instead of the status).
   */
  @Test
  void everyFormatWritesEveryRefusalReasonAsAJsonBodyAndAStreamErrorEvent() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (WireFormat format : WireFormats.defaults().formats()) {
      for (RejectionReason reason : RejectionReason.values()) {
        LocalError error = new LocalError(reason, "refused: " + reason, null, null);
        String what = format.name() + " / " + reason;
        JsonNode body = json.readTree(format.errorBody(error));
        assertThat(body.isContainerNode()).as(what).isTrue();
        assertThat(body.toString()).as(what).contains("refused: " + reason);
        byte[] written = format.streamErrorEvent(error);
        if (format.framesEventStream()) {
          // Bedrock's: one exception message of an AWS event stream, its CRCs valid
          List<EventStreamMessage> messages = new java.util.ArrayList<>();
          EventStreamDecoder decoder = new EventStreamDecoder(messages::add);
          decoder.feed(written, 0, written.length);
          assertThat(decoder.corrupt()).as(what).isFalse();
          assertThat(messages).as(what).hasSize(1);
          assertThat(messages.get(0).isException()).as(what).isTrue();
          assertThat(new String(messages.get(0).payload(), StandardCharsets.UTF_8))
              .as(what)
              .contains("refused: " + reason);
          continue;
        }
        String event = new String(written, StandardCharsets.UTF_8);
        assertThat(event).as(what).endsWith("\n\n").contains("refused: " + reason);
      }
    }
  }

  @Test
  void theLibrarysFormatsRecogniseExactlyWhatTheOpenAiMatcherMatches() {
    WireFormats formats = WireFormats.defaults();
    for (String path :
        List.of(
            "/v1/chat/completions",
            "/v1/completions",
            "/v1/embeddings",
            "/v1/responses",
            "/base/v1/chat/completions/",
            "/openai/deployments/d/chat/completions",
            "/openai/deployments/d/embeddings",
            "/openai/v1/responses",
            "/openai/responses",
            "/models/chat/completions",
            "/models/embeddings",
            "/v1/models",
            "/v1/chat/completion",
            "/tiny/v1/generate",
            "/")) {
      assertThat(formats.recognise("POST", path, NO_HEADERS))
          .as(path)
          .isEqualTo(CallMatchers.openAiAndAzure().match("POST", path));
    }
    assertThat(formats.recognise("GET", "/v1/chat/completions", NO_HEADERS)).isNull();
  }

  @Test
  void pathsAskedInAnyOrderAreRecognisedAsByFormatsThatSawNoOtherPath() {
    List<String> paths =
        List.of(
            "/v1/chat/completions",
            "/v1/embeddings",
            "/v1beta/models/gemini-2.0-flash:generateContent",
            "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
            "/model/anthropic.claude-3-haiku/converse",
            "/model/anthropic.claude-3-haiku/invoke",
            "/v1/messages",
            "/tiny/v1/generate",
            "/v1beta/models/gemini-2.0-flash:countTokens",
            "/");
    WireFormats shared = WireFormats.defaults().with(new TinyFormat());
    java.util.Random random = new java.util.Random(15);
    for (int i = 0; i < 1_000; i++) {
      String path = paths.get(random.nextInt(paths.size()));
      String asked = random.nextBoolean() ? new String(path) : path;
      WireFormats fresh = WireFormats.defaults().with(new TinyFormat());
      CallMatch match = shared.recognise("POST", asked, TINY_HEADERS);
      assertThat(match).as(path).isEqualTo(fresh.recognise("POST", path, TINY_HEADERS));
      if (match != null) {
        assertThat(shared.formatFor(match, posted(asked)).name())
            .as(path)
            .isEqualTo(fresh.formatFor(match, posted(path)).name());
      }
    }
  }

  @Test
  void whatAPathIsKnownAsHoldsForEveryMethodAndEveryPathAskedBetween() {
    List<String> paths =
        List.of(
            "/v1/chat/completions",
            "/v1/chat/completions/",
            "/openai/deployments/d1/chat/completions",
            "/openai/deployments/d2/chat/completions",
            "/openai/deployments//chat/completions",
            "/v1/embeddings",
            "/models/chat/completions",
            "/v1/messages",
            "/tiny/v1/generate",
            "/v1/models");
    List<String> methods = List.of("POST", "GET", "PUT", "post");
    WireFormats shared = WireFormats.defaults().with(new TinyFormat());
    WireFormats defaults = WireFormats.defaults();
    java.util.Random random = new java.util.Random(10);
    for (int i = 0; i < 2_000; i++) {
      String path = paths.get(random.nextInt(paths.size()));
      String method = methods.get(random.nextInt(methods.size()));
      String asked = random.nextBoolean() ? new String(path) : path;
      CallMatch expected =
          WireFormats.defaults().with(new TinyFormat()).recognise(method, path, TINY_HEADERS);
      assertThat(shared.recognise(method, asked, TINY_HEADERS))
          .as(method + " " + path)
          .isEqualTo(expected);
      CallMatch openAi = CallMatchers.openAiAndAzure().match(method, path);
      if (openAi != null || !path.endsWith("messages")) {
        assertThat(defaults.recognise(method, asked, NO_HEADERS))
            .as(method + " " + path)
            .isEqualTo(openAi);
      }
    }
  }

  @Test
  void threadsRecognisingDifferentPathsEachGetTheirOwnMatch() throws Exception {
    WireFormats shared = WireFormats.defaults();
    List<String> paths =
        List.of(
            "/v1/chat/completions",
            "/openai/deployments/d1/chat/completions",
            "/openai/deployments/d2/embeddings",
            "/v1/responses",
            "/v1/models");
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(6);
    try {
      List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
      for (int t = 0; t < 6; t++) {
        int seed = t;
        done.add(
            pool.submit(
                () -> {
                  java.util.Random random = new java.util.Random(seed);
                  int wrong = 0;
                  for (int i = 0; i < 20_000; i++) {
                    String path = paths.get(random.nextInt(paths.size()));
                    String method = random.nextInt(4) == 0 ? "GET" : "POST";
                    CallMatch match = shared.recognise(method, path, NO_HEADERS);
                    if (!java.util.Objects.equals(
                        match, CallMatchers.openAiAndAzure().match(method, path))) {
                      wrong++;
                    }
                  }
                  return wrong;
                }));
      }
      for (java.util.concurrent.Future<Integer> wrong : done) {
        assertThat(wrong.get()).isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void eachOperationIsReadByItsOwnFormat() {
    WireFormats formats = WireFormats.defaults();

    assertThat(formats.formats())
        .extracting(WireFormat::name)
        .containsExactly(
            "openai.chat_completions",
            "openai.completions",
            "openai.embeddings",
            "openai.responses",
            "bedrock.converse",
            "bedrock.converse_stream",
            "bedrock.invoke.anthropic",
            "bedrock.invoke_with_response_stream.anthropic",
            "bedrock.invoke",
            "bedrock.invoke_with_response_stream",
            "vertex.anthropic.raw_predict",
            "vertex.anthropic.stream_raw_predict",
            "gemini.generate_content",
            "anthropic.messages");
    for (WireFormat format : formats.formats()) {
      if (!(format instanceof OpenAiFormat)) {
        continue; // Bedrock's and Gemini's are chosen by their own paths (their format tests)
      }
      CallMatch match = new CallMatch(format.operation(), null);
      assertThat(formats.formatFor(match, posted("/v1/anything"))).isSameAs(format);
    }
  }

  @Test
  void anAddedFormatIsAskedForItsPathEndingOnly() {
    WireFormats formats = WireFormats.defaults().with(new TinyFormat());

    assertThat(formats.recognise("POST", "/x/tiny/v1/generate", TINY_HEADERS))
        .isEqualTo(new CallMatch(Operation.CHAT_COMPLETIONS, null));
    assertThat(formats.recognise("POST", "/x/tiny/v1/generate", NO_HEADERS))
        .as("tiny recognises its calls by a header too")
        .isNull();
    assertThat(formats.recognise("POST", "/v1/chat/completions", TINY_HEADERS))
        .isEqualTo(new CallMatch(Operation.CHAT_COMPLETIONS, null));
    assertThat(formats.formats().get(0).name()).isEqualTo("tiny");
  }

  @Test
  void aCallIsReadByTheFormatThatRecognisesItsRequest() {
    WireFormats formats = WireFormats.defaults().with(new TinyFormat());
    CallMatch chat = new CallMatch(Operation.CHAT_COMPLETIONS, null);

    assertThat(formats.formatFor(chat, TinyCall.of("https://h/tiny/v1/generate", "{}")).name())
        .isEqualTo("tiny");
    assertThat(formats.formatFor(chat, posted("/v1/chat/completions")).name())
        .isEqualTo("openai.chat_completions");
    assertThat(formats.formatFor(chat, posted("/tiny/v1/generate")).name())
        .as("tiny's path without its version header: an application matcher's call, OpenAI's")
        .isEqualTo("openai.chat_completions");
    assertThat(
            formats
                .formatFor(
                    new CallMatch(Operation.EMBEDDINGS, null),
                    TinyCall.of("https://h/tiny/v1/generate", "{}"))
                .name())
        .as("tiny carries chat, not embeddings")
        .isEqualTo("openai.embeddings");
  }

  @Test
  void aFormatWithoutAUsablePathEndingIsRefusedWithItsName() {
    assertThatThrownBy(() -> WireFormats.defaults().with(new TinyFormat("v1/generate")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "wire format tiny has path ending 'v1/generate': an ending is one non-empty path"
                + " segment, without '/', or a method ending ':method' with no other colon");
    assertThatThrownBy(() -> WireFormats.defaults().with(new TinyFormat("a:b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("path ending 'a:b'");
    assertThatThrownBy(() -> WireFormats.defaults().with(new TinyFormat(":")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("path ending ':'");
    assertThatThrownBy(() -> WireFormats.defaults().with(new TinyFormat("")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("path ending ''");
  }

  @Test
  void aMethodEndingStandsForEverySegmentEndingInItsColonAndMethod() {
    WireFormats formats = WireFormats.defaults().with(new TinyFormat());
    String path = "/v1beta/models/gemini-2.0-flash:streamGenerateContent";

    assertThat(formats.recognise("POST", path, NO_HEADERS))
        .as("registered beside an added format, Gemini is found by its method ending")
        .isEqualTo(new CallMatch(Operation.GENERATE_CONTENT, "gemini-2.0-flash"));
    assertThat(formats.formatFor(new CallMatch(Operation.GENERATE_CONTENT, "m"), posted(path)))
        .isSameAs(GeminiFormat.INSTANCE);
    assertThat(formats.recognise("POST", "/v1beta/models/:streamGenerateContent", NO_HEADERS))
        .isNull();
    assertThat(formats.recognise("POST", "/v1beta/models/x:countTokens", NO_HEADERS)).isNull();
  }

  @Test
  void withOnlyTheLibrarysFormatsAnOpenAiCallOnAGeminiLikePathIsStillOpenAis() {
    WireFormats formats = WireFormats.defaults();
    CallMatch chat = new CallMatch(Operation.CHAT_COMPLETIONS, null);

    assertThat(formats.formatFor(chat, posted("/v1/chat/completions")))
        .isSameAs(OpenAiChatFormat.INSTANCE);
    assertThat(formats.formatFor(chat, posted("/v1beta/files/x:generateContent")))
        .as("an application matcher's call on a path Gemini does not recognise")
        .isSameAs(OpenAiChatFormat.INSTANCE);
  }
}
