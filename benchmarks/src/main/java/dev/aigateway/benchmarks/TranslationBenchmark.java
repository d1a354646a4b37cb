package dev.aigateway.benchmarks;

import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.translate.TranslatedRequest;
import dev.aigateway.core.translate.Translations;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Setup;

/**
 * What translating one OpenAI chat completions call costs ({@code core.translate}), per target
 * protocol: the request translated for an Anthropic, Bedrock (Converse) or Gemini backend, then the
 * backend's answer translated back to OpenAI's shape and read whole, as a JSON document and as a
 * short stream (the {@value ProviderBodies#WORD_COUNT} words of {@link ProviderBodies}, a delta
 * each). The request's own translation is measured alone too. Compare with {@link
 * WireFormatBenchmark}'s {@code openAiJson} and {@code openAiStream} run beside it: what a call
 * costs the gateway's reading without any translation.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar
 * 'WireFormatBenchmark|TranslationBenchmark' -prof gc}; numbers in docs/benchmarks.md.
 */
@Measurement(iterations = 5, time = 1)
public class TranslationBenchmark extends MicroBenchmark {

  private static final String MODEL = "claude-3-5-haiku-20241022";

  private final Translations translations = new Translations(Clock.systemUTC());
  private final Backend anthropic =
      Backend.anthropic("claude", "https://api.anthropic.com").build();
  private final Backend bedrock =
      Backend.bedrock("bedrock", "https://bedrock-runtime.us-east-1.amazonaws.com").build();
  private final Backend gemini =
      Backend.gemini("gemini", "https://generativelanguage.googleapis.com").build();
  private final byte[] buffer = new byte[8192];
  private byte[] openAiJson;
  private byte[] openAiStream;
  private byte[] geminiDocument;
  private byte[] geminiEvents;

  /** Builds the bodies and checks that every translated answer carries the usage it should. */
  @Setup
  public void setUp() throws IOException {
    openAiJson = Workload.shortChat(false);
    String streamed = new String(Workload.shortChat(true), java.nio.charset.StandardCharsets.UTF_8);
    openAiStream =
        ProviderBodies.utf8(streamed.replace("}", ",\"stream_options\":{\"include_usage\":true}}"));
    geminiDocument = ProviderBodies.utf8(geminiChunk(String.join(" ", ProviderBodies.WORDS), true));
    StringBuilder events = new StringBuilder();
    for (int i = 0; i < ProviderBodies.WORDS.length; i++) {
      events
          .append("data: ")
          .append(geminiChunk(ProviderBodies.piece(i), i == ProviderBodies.WORDS.length - 1))
          .append("\r\n\r\n");
    }
    geminiEvents = ProviderBodies.utf8(events.toString());
    for (long read :
        new long[] {
          anthropicJson(),
          anthropicStream(),
          bedrockJson(),
          bedrockStream(),
          geminiJson(),
          geminiStream()
        }) {
      if (read <= 0) {
        throw new IllegalStateException("a translated answer was empty");
      }
    }
  }

  private static String geminiChunk(String text, boolean last) {
    return "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\""
        + text
        + "\"}],\"role\":\"model\"}"
        + (last ? ",\"finishReason\":\"STOP\"" : "")
        + ",\"index\":0}]"
        + (last
            ? ",\"usageMetadata\":{\"promptTokenCount\":14,\"candidatesTokenCount\":18,"
                + "\"totalTokenCount\":32}"
            : "")
        + ",\"modelVersion\":\"gemini-2.0-flash-001\"}";
  }

  /** The request alone: OpenAI chat to Anthropic Messages. */
  @Benchmark
  public int anthropicRequest() {
    return request(anthropic, openAiJson).body().length;
  }

  /** The request alone: OpenAI chat to Bedrock Converse. */
  @Benchmark
  public int bedrockRequest() {
    return request(bedrock, openAiJson).body().length;
  }

  /** The request alone: OpenAI chat to Gemini generateContent. */
  @Benchmark
  public int geminiRequest() {
    return request(gemini, openAiJson).body().length;
  }

  /** Request out, Anthropic's message back as an OpenAI chat completion. */
  @Benchmark
  public long anthropicJson() throws IOException {
    return call(anthropic, openAiJson, ProviderBodies.ANTHROPIC_MESSAGE, "application/json");
  }

  /** Request out, Anthropic's events back as OpenAI chunks. */
  @Benchmark
  public long anthropicStream() throws IOException {
    return call(anthropic, openAiStream, ProviderBodies.ANTHROPIC_EVENTS, "text/event-stream");
  }

  /** Request out, Converse's answer back as an OpenAI chat completion. */
  @Benchmark
  public long bedrockJson() throws IOException {
    return call(bedrock, openAiJson, ProviderBodies.CONVERSE_ANSWER, "application/json");
  }

  /** Request out, ConverseStream's frames back as OpenAI chunks. */
  @Benchmark
  public long bedrockStream() throws IOException {
    return call(
        bedrock,
        openAiStream,
        ProviderBodies.CONVERSE_STREAM,
        "application/vnd.amazon.eventstream");
  }

  /** Request out, Gemini's answer back as an OpenAI chat completion. */
  @Benchmark
  public long geminiJson() throws IOException {
    return call(gemini, openAiJson, geminiDocument, "application/json");
  }

  /** Request out, Gemini's events back as OpenAI chunks. */
  @Benchmark
  public long geminiStream() throws IOException {
    return call(gemini, openAiStream, geminiEvents, "text/event-stream");
  }

  /** The request translated for {@code backend}, as the routing asks for it. */
  private TranslatedRequest request(Backend backend, byte[] openAi) {
    return translations
        .forFlavor(backend.flavor())
        .translate(openAi, MODEL, backend.flavor(), backend.requestBaseUrl(), backend.apiVersion());
  }

  /** Translates the request, then reads the translated answer whole; returns its length. */
  private long call(Backend backend, byte[] openAi, byte[] answer, String contentType)
      throws IOException {
    TranslatedRequest request = request(backend, openAi);
    long read = 0;
    try (InputStream body =
        request.answer().body(200, contentType, name -> null, new ByteArrayInputStream(answer))) {
      int n;
      while ((n = body.read(buffer, 0, buffer.length)) >= 0) {
        read += n;
      }
    }
    return read;
  }
}
