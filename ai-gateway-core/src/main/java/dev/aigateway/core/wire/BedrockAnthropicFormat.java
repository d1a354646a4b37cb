package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.core.tokens.TokenCounter;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Anthropic's Messages API on Amazon Bedrock: InvokeModel ({@code POST /model/{modelId}/invoke})
 * and InvokeModelWithResponseStream ({@code /invoke-with-response-stream}) on a Claude model. The
 * body is Anthropic's Messages request with {@code anthropic_version: "bedrock-2023-05-31"} and
 * without {@code model} (it is in the path) or {@code stream} (the operation says it); the answer
 * is Anthropic's message, or a binary event stream whose {@code chunk} events carry, base64-encoded
 * in {@code bytes}, the JSON of Anthropic's stream events.
 *
 * <ul>
 *   <li><b>Recognition</b>: the model ID of the path names Anthropic or Claude ({@code
 *       anthropic.claude-3-5-haiku-20241022-v1:0}, the inference profile {@code
 *       us.anthropic.claude-...}, an ARN holding either, or an alias such as {@code claude}); any
 *       other InvokeModel call is read by {@link BedrockInvokeFormat}, generically.
 *   <li><b>Request</b>: allowance {@code max_tokens}; the prompt estimated by {@link
 *       AnthropicPrompt}, as for Anthropic's own API.
 *   <li><b>Usage</b>: from the message's {@code usage} (the response's token-count headers are read
 *       first and give way to it), and in a stream from {@code message_start} (input and cache
 *       counts) and {@code message_delta} (output), as {@link AnthropicUsage} reads them; the last
 *       chunk's {@code amazon-bedrock-invocationMetrics} counts only when no event reported usage.
 *   <li><b>Errors</b>: Bedrock's ({@code {"message":...}} and {@code x-amzn-ErrorType}), which the
 *       AWS SDKs read.
 *   <li><b>Replay</b>: in the form stored, as {@link BedrockInvokeFormat} replays.
 * </ul>
 */
final class BedrockAnthropicFormat extends BedrockFormat {

  /** The body members that bound the output (before the instances, which take them). */
  private static final List<String> ALLOWANCE = List.of("/max_tokens");

  static final BedrockAnthropicFormat INVOKE =
      new BedrockAnthropicFormat("bedrock.invoke.anthropic", "invoke", false);
  static final BedrockAnthropicFormat INVOKE_STREAM =
      new BedrockAnthropicFormat(
          "bedrock.invoke_with_response_stream.anthropic", "invoke-with-response-stream", true);

  private BedrockAnthropicFormat(String name, String ending, boolean stream) {
    super(name, ending, stream, ALLOWANCE);
  }

  /** A model ID naming Anthropic or Claude, in any case. */
  @Override
  boolean readsModel(String model) {
    String lower = model.toLowerCase(Locale.ROOT);
    return lower.contains("anthropic") || lower.contains("claude");
  }

  /** Anthropic's estimate ({@link AnthropicPrompt}): the body is its Messages request. */
  @Override
  long estimate(TokenCounter counter, @Nullable String model, ObjectNode body) {
    return AnthropicPrompt.estimate(counter, body);
  }

  /** Anthropic's Messages request: {@code system} and {@code messages}, as on Anthropic's API. */
  @Override
  PromptTexts.Shape promptShape() {
    return PromptTexts.Shape.ANTHROPIC;
  }

  /**
   * The message read as Anthropic's (its usage, model and text); the token counts of Bedrock's
   * response headers stand when it reports no usage.
   */
  @Override
  JsonBody.DocumentReader documentReader() {
    return AnthropicUsage::readDocument;
  }

  /**
   * A new reader per stream: each chunk's Anthropic event ({@link InvokeChunk}) goes to an {@link
   * AnthropicUsage.StreamReader} (model, counts, text, {@code message_stop}), on its bytes when it
   * is a plain delta; Bedrock's invocation metrics, on the last chunk, settle the call only when no
   * event reported usage.
   */
  @Override
  EventStreamBody.MessageReader messageReader() {
    return new ChunkReader();
  }

  /**
   * Claude on Bedrock's messages, one stream's. It checks a message's CRC itself ({@link
   * EventStreamBody.MessageReader#checksCrcItself}): before it learns anything from the message but
   * a content block's text (which serves only to estimate output tokens when no usage comes), so
   * that a count, a model or the stream's end is never read from a message whose CRC was not
   * checked ({@link AnthropicUsage.StreamReader#readChunk}), and before it passes over a message it
   * cannot read as a chunk, so that a corrupt one stops the reading as before.
   */
  private static final class ChunkReader implements EventStreamBody.MessageReader {
    private final InvokeChunk chunk = new InvokeChunk();
    private final AnthropicUsage.StreamReader events = new AnthropicUsage.StreamReader();

    @Override
    public void read(ResponseReadout readout, EventStreamFrame frame) {
      if (!chunk.read(frame)) {
        frame.checked(); // not a chunk to read: a corrupt message stops the reading all the same
        return;
      }
      if (events.readChunk(readout, chunk.bytes(), 0, chunk.length(), frame, chunk.unchanged())
          || !frame.checked()) {
        return;
      }
      JsonNode json = Json.parseOrNull(chunk.bytes(), 0, chunk.length());
      if (json != null) {
        events.read(readout, json);
        if (readout.usage() == null) {
          BedrockInvokeFormat.learnMetrics(readout, json);
        }
      }
    }

    @Override
    public boolean checksCrcItself() {
      return true;
    }
  }

  /**
   * The text of a {@code chunk} whose base64 {@code bytes} decode to Anthropic's {@code
   * content_block_delta} event with a {@code text_delta}, as Anthropic's own streams are read
   * ({@link AnthropicProtocol#eventText}): every text is answer 0's.
   */
  @Override
  public boolean readsEventTexts() {
    return true;
  }

  @Override
  public void frameText(EventStreamFrame frame, EventTexts sink) {
    if (!"chunk".equals(frame.eventType())) {
      return;
    }
    byte[] event = InvokeChunk.decodedByJdk(frame.bytes(), frame.payloadFrom(), frame.payloadTo());
    if (event == null) {
      return; // no base64 event to read
    }
    AnthropicProtocol.deltaText(event, 0, event.length, sink);
  }

  @Override
  public @Nullable Replayed replay(CachedResponse cached, boolean stream, boolean includeUsage) {
    return BedrockInvokeFormat.replayAsStored(cached, stream);
  }

  /**
   * A message Claude's classifiers stopped ({@code stop_reason: "refusal"}), in a document or a
   * stream's chunks: its text is partial or none, so the response cache does not keep it.
   */
  @Override
  public boolean failedAnswer(byte[] body, boolean stream) {
    return FailedAnswers.bedrockAnthropicRefused(body, stream);
  }

  /**
   * A message without a stop reason, or a turn the API paused ({@code pause_turn}), in a document
   * or a stream's chunks; or a stream with a frame that does not decode or whose payload is not
   * JSON. One pass ({@link UnfinishedAnswers#bedrockAnthropicDefect}).
   */
  @Override
  public @Nullable AnswerDefect answerDefect(byte[] body, boolean eventStream) {
    return UnfinishedAnswers.bedrockAnthropicDefect(body, eventStream);
  }

  @Override
  public AnswerDocuments.Shape answerShape() {
    return AnswerDocuments.Shape.ANTHROPIC_MESSAGES;
  }
}
