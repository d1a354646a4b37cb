package dev.aigateway.core.wire;

import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounter;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Anthropic's Messages API ({@code POST .../v1/messages}): a {@code system} prompt and {@code
 * messages} in, a message (or a stream of typed events) out.
 *
 * <ul>
 *   <li><b>Requests</b> carry {@code model}, {@code stream} and the required {@code max_tokens} at
 *       the top level, under the names OpenAI uses, so they are read (and their model rewritten) on
 *       their bytes by {@link OpenAiRequest}; the prompt is estimated by {@link AnthropicPrompt}
 *       (Anthropic publishes no tokenizer).
 *   <li><b>Usage</b> is {@code usage.input_tokens}, {@code output_tokens}, {@code
 *       cache_creation_input_tokens} and {@code cache_read_input_tokens}. Anthropic's {@code
 *       input_tokens} leaves out the tokens read from or written to its prompt cache; the gateway's
 *       input tokens include them (input = input + cache creation + cache read), with the reads as
 *       {@link Usage#cachedInputTokens()} and the writes as {@link Usage#cacheWriteInputTokens()},
 *       so that limits charge every token the model took and prices tell the three apart. Total =
 *       input + output.
 *   <li><b>Streams</b> always report usage, unasked: {@code message_start} carries the input
 *       counts, each {@code message_delta} the cumulative output count (and, on newer models, input
 *       counts again, which then win); {@code message_stop} ends the stream. {@code ping} and
 *       {@code error} events are passed on and read for nothing. A stream cut before its {@code
 *       message_delta} (or ended by an {@code error} event) is settled on the input counts {@code
 *       message_start} reported and an estimate of its streamed text as output. Bytes pass
 *       unchanged: nothing is asked for or hidden.
 *   <li><b>Errors</b> are {@code {"type":"error","error":{"type":...,"message":...}}}.
 *   <li><b>Token counting</b> ({@code POST /v1/messages/count_tokens}) is free at Anthropic and
 *       produces nothing: it is not governed (it ends in {@code count_tokens}, for which no format
 *       is registered) and passes through.
 *   <li><b>Message batches</b> ({@code /v1/messages/batches} and below) are not governed either:
 *       their requests are answered later, in results the gateway never reads, so they pass through
 *       with no limit, cache or event.
 * </ul>
 */
final class AnthropicMessagesFormat implements AnthropicProtocol {

  static final AnthropicMessagesFormat INSTANCE = new AnthropicMessagesFormat();

  private static final String PATH_END = "/v1/messages";
  private static final CallMatch MATCH = new CallMatch(Operation.MESSAGES, null);

  private AnthropicMessagesFormat() {}

  @Override
  public String name() {
    return "anthropic.messages";
  }

  @Override
  public List<String> pathEndings() {
    return List.of("messages");
  }

  /**
   * A POST whose path ends in {@code /v1/messages} (a trailing slash ignored), under any prefix.
   */
  @Override
  public @Nullable CallMatch recognise(
      String method, String path, Function<String, @Nullable String> headers) {
    if (!"POST".equals(method)) {
      return null;
    }
    int end = path.length();
    if (end > 0 && path.charAt(end - 1) == '/') {
      end--;
    }
    int start = end - PATH_END.length();
    return start >= 0 && path.regionMatches(start, PATH_END, 0, PATH_END.length()) ? MATCH : null;
  }

  @Override
  public WireRequest readRequest(CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    return new OpenAiRequest(this, match, request, maxParsedBodyBytes);
  }

  @Override
  public long countPrompt(TokenCounter counter, WireRequest request) {
    return request.bodyUnderstood()
        ? PromptTokens.count(counter, request.model(), Operation.MESSAGES, request.body())
        : 0;
  }

  /**
   * {@code {base}/v1/messages}, a base already ending in {@code /v1} used as is, for every flavour
   * (Anthropic, and servers that speak its API).
   */
  @Override
  public String backendUrl(
      BackendFlavor flavor, String baseUrl, @Nullable String apiVersion, String targetModel) {
    return (baseUrl.endsWith("/v1") ? baseUrl : baseUrl + "/v1") + "/messages";
  }

  /**
   * Anthropic backends, and OpenAI-compatible servers (proxies such as LiteLLM and vLLM serve
   * {@code /v1/messages} too); never OpenAI, Azure, Bedrock or Google backends, which do not.
   */
  @Override
  public boolean servedBy(BackendFlavor flavor) {
    return flavor == BackendFlavor.ANTHROPIC || flavor == BackendFlavor.OPENAI_COMPATIBLE;
  }

  @Override
  public boolean modelInBody(BackendFlavor flavor) {
    return true;
  }

  @Override
  public byte @Nullable [] bodyForBackend(
      WireRequest request, @Nullable String model, boolean askStreamUsage) {
    if (!(request instanceof OpenAiRequest read) || read.format() != this) {
      throw new IllegalArgumentException(
          name() + " cannot rewrite a request read by " + request.format().name());
    }
    return read.rewrittenBody(model, false);
  }

  @Override
  public @Nullable WireRequest withBody(WireRequest request, byte[] body) {
    return request instanceof OpenAiRequest read && read.format() == this
        ? read.withBody(body)
        : null;
  }

  @Override
  public String toString() {
    return name();
  }
}
