package dev.aigateway.benchmarks;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Usage;
import dev.aigateway.core.wire.BodyListener;
import dev.aigateway.core.wire.ClientRequest;
import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.ResponseReadout;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireFormats;
import dev.aigateway.core.wire.WireRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Setup;

/**
 * What a wire format costs a call on its own, OpenAI's against Gemini's, Anthropic's and Bedrock's
 * in the same run: recognise the request, choose its format, read its model and allowance (parsing
 * the body), then read a whole answer through the format's observed body (the usage-reading work of
 * a real call; bytes are read into a buffer and dropped). The answers carry the same words: a JSON
 * document, and a stream of {@value CannedBackend#STREAM_CHUNKS} chunks as server-sent events
 * (OpenAI's with usage asked for by the application, so neither hides anything) and, for Gemini, as
 * one JSON array. Gemini's chunks each carry cumulative {@code usageMetadata}, as Google sends
 * them. Anthropic Messages (JSON, and server-sent events: a delta per word plus Anthropic's five
 * framing events), Bedrock Converse (JSON, and ConverseStream's binary event stream) and Claude on
 * Bedrock's InvokeModelWithResponseStream (Anthropic's events base64-encoded in {@code chunk}
 * frames) carry the same words ({@link ProviderBodies}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar WireFormatBenchmark -prof gc}; numbers
 * in docs/benchmarks.md.
 */
@Measurement(iterations = 5, time = 1)
public class WireFormatBenchmark extends MicroBenchmark {

  private static final String OPENAI_URL = "https://api.openai.com/v1/chat/completions";
  private static final String GEMINI_URL =
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent";
  private static final String GEMINI_STREAM_URL =
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash"
          + ":streamGenerateContent";
  private static final String[] WORDS =
      ("Hello team, good to see you all here today. The "
              + "gateway keeps count of every token, so carry")
          .split(" ");

  private static final String EVENT_STREAM = "application/vnd.amazon.eventstream";

  private final WireFormats formats = WireFormats.defaults();
  private final byte[] buffer = new byte[8192];
  private Call openAiJson;
  private Call openAiStream;
  private Call geminiJson;
  private Call geminiEvents;
  private Call geminiArray;
  private byte[] geminiDocument;
  private byte[] geminiEventBytes;
  private byte[] geminiArrayBytes;
  private final Call anthropicJson =
      new Call(ProviderBodies.ANTHROPIC_URL, ProviderBodies.ANTHROPIC_REQUEST);
  private final Call anthropicEvents =
      new Call(ProviderBodies.ANTHROPIC_URL, ProviderBodies.ANTHROPIC_STREAM_REQUEST);
  private final Call converseJson =
      new Call(ProviderBodies.BEDROCK_BASE + "converse", ProviderBodies.CONVERSE_REQUEST);
  private final Call converseStream =
      new Call(ProviderBodies.BEDROCK_BASE + "converse-stream", ProviderBodies.CONVERSE_REQUEST);
  private final Call bedrockClaudeStream =
      new Call(
          ProviderBodies.BEDROCK_BASE + "invoke-with-response-stream",
          ProviderBodies.BEDROCK_CLAUDE_REQUEST);

  /**
   * One request as an adapter hands it to the core (also {@link RequestSideAllocation}'s): its
   * encoded path taken from the URL once, as the OkHttp adapter takes it from OkHttp's parsed URL,
   * not parsed again on every {@link #encodedPath()} (which {@link ClientRequest}'s default does).
   */
  record Call(String url, byte[] body, String encodedPath) implements ClientRequest {

    Call(String url, byte[] body) {
      this(url, body, java.net.URI.create(url).getRawPath());
    }

    @Override
    public String method() {
      return "POST";
    }

    @Override
    public String header(String name) {
      return null;
    }

    @Override
    public <T> T tag(Class<? extends T> type) {
      return null;
    }
  }

  /** Builds the requests and answers, and checks that each benchmark reads the usage it should. */
  @Setup
  public void setUp() throws IOException {
    openAiJson = new Call(OPENAI_URL, Workload.shortChat(false));
    String streamed = new String(Workload.shortChat(true), StandardCharsets.UTF_8);
    openAiStream =
        new Call(
            OPENAI_URL,
            utf8(streamed.replace("}", ",\"stream_options\":{\"include_usage\":true}}")));
    byte[] geminiBody =
        utf8(
            "{\"systemInstruction\":{\"parts\":[{\"text\":\"You are a terse assistant.\"}]},"
                + "\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Say hello to the team"
                + " in five words.\"}]}],\"generationConfig\":{\"maxOutputTokens\":64}}");
    geminiJson = new Call(GEMINI_URL, geminiBody);
    geminiEvents = new Call(GEMINI_STREAM_URL + "?alt=sse", geminiBody);
    geminiArray = new Call(GEMINI_STREAM_URL, geminiBody);
    geminiDocument = utf8(geminiChunk(String.join(" ", WORDS), WORDS.length, true));
    StringBuilder events = new StringBuilder();
    StringBuilder array = new StringBuilder("[");
    int chunks = CannedBackend.STREAM_CHUNKS;
    for (int i = 0; i < chunks; i++) {
      String text = i < WORDS.length ? (i == 0 ? "" : " ") + WORDS[i] : "";
      String chunk = geminiChunk(text, Math.min(i + 1, WORDS.length), i == chunks - 1);
      events.append("data: ").append(chunk).append("\r\n\r\n");
      array.append(i == 0 ? "" : ",\r\n").append(chunk);
    }
    geminiEventBytes = utf8(events.toString());
    geminiArrayBytes = utf8(array.append(']').toString());
    check(openAiJson(), 27, CannedBackend.STREAM_CHUNKS - 2);
    check(openAiStream(), 27, CannedBackend.STREAM_CHUNKS - 2);
    check(geminiJson(), 14, WORDS.length);
    check(geminiEvents(), 14, WORDS.length);
    check(geminiArray(), 14, WORDS.length);
    check(anthropicJson(), 14, WORDS.length);
    check(anthropicEvents(), 14, WORDS.length);
    check(bedrockConverseJson(), 14, WORDS.length);
    check(bedrockConverseStream(), 14, WORDS.length);
    check(bedrockClaudeStream(), 14, WORDS.length);
  }

  private static String geminiChunk(String text, int outputTokens, boolean last) {
    return "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\""
        + text
        + "\"}],\"role\":\"model\"}"
        + (last ? ",\"finishReason\":\"STOP\"" : "")
        + ",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":14,\"candidatesTokenCount\":"
        + outputTokens
        + ",\"totalTokenCount\":"
        + (14 + outputTokens)
        + ",\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":14}]},"
        + "\"modelVersion\":\"gemini-2.0-flash-001\",\"responseId\":\"mAitaLmkHPPlz7IPvtfUqQ4\"}";
  }

  private static void check(Usage usage, long input, long output) {
    if (usage == null || usage.inputTokens() != input || usage.outputTokens() != output) {
      throw new IllegalStateException(
          "expected " + input + " in and " + output + " out but read " + usage);
    }
  }

  /** OpenAI chat completion, JSON answer. */
  @Benchmark
  public Usage openAiJson() throws IOException {
    return run(openAiJson, CannedBackend.COMPLETION, "application/json");
  }

  /** OpenAI chat completion streamed, usage asked for by the application. */
  @Benchmark
  public Usage openAiStream() throws IOException {
    return run(openAiStream, CannedBackend.EVENTS_WITH_USAGE, "text/event-stream");
  }

  /** Gemini generateContent, JSON answer. */
  @Benchmark
  public Usage geminiJson() throws IOException {
    return run(geminiJson, geminiDocument, "application/json; charset=UTF-8");
  }

  /** Gemini streamGenerateContent with alt=sse. */
  @Benchmark
  public Usage geminiEvents() throws IOException {
    return run(geminiEvents, geminiEventBytes, "text/event-stream");
  }

  /** Gemini streamGenerateContent as one JSON array. */
  @Benchmark
  public Usage geminiArray() throws IOException {
    return run(geminiArray, geminiArrayBytes, "application/json; charset=UTF-8");
  }

  /** Anthropic Messages, JSON answer. */
  @Benchmark
  public Usage anthropicJson() throws IOException {
    return run(anthropicJson, ProviderBodies.ANTHROPIC_MESSAGE, "application/json");
  }

  /** Anthropic Messages streamed (server-sent events; usage in message_start and message_delta). */
  @Benchmark
  public Usage anthropicEvents() throws IOException {
    return run(
        anthropicEvents, ProviderBodies.ANTHROPIC_EVENTS, "text/event-stream; charset=utf-8");
  }

  /** Bedrock Converse, JSON answer. */
  @Benchmark
  public Usage bedrockConverseJson() throws IOException {
    return run(converseJson, ProviderBodies.CONVERSE_ANSWER, "application/json");
  }

  /** Bedrock ConverseStream (binary event stream; usage in the metadata event). */
  @Benchmark
  public Usage bedrockConverseStream() throws IOException {
    return run(converseStream, ProviderBodies.CONVERSE_STREAM, EVENT_STREAM);
  }

  /** Claude on Bedrock's InvokeModelWithResponseStream (Anthropic's events in chunk frames). */
  @Benchmark
  public Usage bedrockClaudeStream() throws IOException {
    return run(bedrockClaudeStream, ProviderBodies.BEDROCK_CLAUDE_STREAM, EVENT_STREAM);
  }

  /** The benchmarks {@link #requestOnly} knows, by name ({@link WireFormatCpuTime}). */
  static final String[] BENCHMARKS = {
    "openAiJson",
    "anthropicJson",
    "bedrockConverseJson",
    "geminiJson",
    "openAiStream",
    "anthropicEvents",
    "bedrockConverseStream",
    "bedrockClaudeStream",
    "geminiEvents",
    "geminiArray"
  };

  /**
   * The request part alone of benchmark {@code k} of {@link #BENCHMARKS} (after {@link #setUp}):
   * recognise, choose the format, read the request and its allowance; returns the allowance.
   */
  long requestOnly(int k) {
    Call call =
        new Call[] {
              openAiJson,
              anthropicJson,
              converseJson,
              geminiJson,
              openAiStream,
              anthropicEvents,
              converseStream,
              bedrockClaudeStream,
              geminiEvents,
              geminiArray
            }
            [k];
    CallMatch match = formats.recognise("POST", call.encodedPath(), name -> null);
    WireFormat format = formats.formatFor(match, call);
    return format.readRequest(match, call, 1 << 20).maxOutputTokens().orElse(0);
  }

  private Usage run(Call call, byte[] answer, String contentType) throws IOException {
    String path = call.encodedPath();
    CallMatch match = formats.recognise("POST", path, name -> null);
    WireFormat format = formats.formatFor(match, call);
    WireRequest request = format.readRequest(match, call, 1 << 20);
    request.maxOutputTokens(); // parses the body, as the allowance check does
    Outcome outcome = new Outcome();
    ObservedBody body =
        format.isStream(contentType, request.stream())
            ? format.observeStream(new ByteArrayInputStream(answer), outcome, () -> false, false)
            : format.observeDocument(
                new ByteArrayInputStream(answer), outcome, () -> false, 1 << 20);
    while (body.read(buffer, 0, buffer.length) >= 0) {
      // the application reads the whole body
    }
    body.close();
    return outcome.usage;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Keeps the usage the body reported (also for {@link SseBodyBenchmark}). */
  static final class Outcome implements BodyListener {
    Usage usage;

    @Override
    public void firstBytes() {}

    @Override
    public void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure) {
      usage = readout.usage();
    }
  }
}
