package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.core.tokens.TokenCounter;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Amazon Bedrock's InvokeModel ({@code POST /model/{modelId}/invoke}) and
 * InvokeModelWithResponseStream ({@code /invoke-with-response-stream}): the body is the model
 * provider's own (Anthropic Messages, Amazon Titan and Nova, Meta Llama, Mistral, Cohere, ...), so
 * this format reads it generically and leaves every provider's own shape alone, except for content
 * safety, which reads the prompt texts of the common models' bodies ({@link #modelShape}) and the
 * texts of their answers, JSON or streamed, withholding a blocked JSON answer in the model's shape
 * ({@link InvokeAnswers}).
 *
 * <ul>
 *   <li>Allowance: the first of {@code max_tokens}, {@code max_completion_tokens} (OpenAI's gpt-oss
 *       models, whose body is OpenAI's chat completion), {@code max_tokens_to_sample}, {@code
 *       max_gen_len}, {@code textGenerationConfig.maxTokenCount}, {@code
 *       inferenceConfig.max_new_tokens}, {@code maxTokens} that the body holds.
 *   <li>Prompt estimate: every string in the body counted with the gateway's token counter, times
 *       1.25, plus 8; a string of more than 10,000 characters without a space (base64 media) counts
 *       the counter's image bound instead. It errs high: the body's own keys and values (roles,
 *       versions) are counted as prompt.
 *   <li>Usage: a JSON answer's from Bedrock's response headers ({@code
 *       X-Amzn-Bedrock-Input-Token-Count}, {@code X-Amzn-Bedrock-Output-Token-Count}, and the cache
 *       read and write counts when present); a stream's from {@code
 *       amazon-bedrock-invocationMetrics} in the last {@code chunk} (each chunk's payload is {@code
 *       {"bytes":"<base64 of the model's JSON>"}}), which also marks it complete. The text for an
 *       estimate is every {@code text}, {@code outputText}, {@code generation}, {@code completion}
 *       and {@code content} string of the answer or its chunks.
 *   <li>Replay: in the form stored only (a JSON answer as JSON, a stream re-framed), since the
 *       provider's shapes are not translated.
 * </ul>
 */
final class BedrockInvokeFormat extends BedrockFormat {

  /** The body members that bound the output (before the instances, which take them). */
  private static final List<String> ALLOWANCE =
      List.of(
          "/max_tokens",
          "/max_completion_tokens",
          "/max_tokens_to_sample",
          "/max_gen_len",
          "/textGenerationConfig/maxTokenCount",
          "/inferenceConfig/max_new_tokens",
          "/maxTokens");

  /** Where the models' bodies set the temperature. */
  private static final List<String> TEMPERATURE =
      List.of("/temperature", "/textGenerationConfig/temperature", "/inferenceConfig/temperature");

  static final BedrockInvokeFormat INVOKE =
      new BedrockInvokeFormat("bedrock.invoke", "invoke", false);
  static final BedrockInvokeFormat INVOKE_STREAM =
      new BedrockInvokeFormat(
          "bedrock.invoke_with_response_stream", "invoke-with-response-stream", true);

  /** The member of a stream's last chunk that carries its counts. */
  static final String METRICS = "amazon-bedrock-invocationMetrics";

  /**
   * The members whose strings are generated text: Titan's {@code outputText}, Llama's {@code
   * generation}, Claude's text completion's {@code completion}, the {@code text} of Mistral's,
   * Cohere's, DeepSeek's and Nova's answers, and the {@code content} of a Mistral chat or AI21
   * Jamba choice's {@code message} or {@code delta}.
   */
  private static final List<String> TEXT_MEMBERS =
      List.of("text", "outputText", "generation", "completion", "content");

  private static final int PER_CALL = 8;
  private static final int MEDIA_CHARS = 10_000;

  private BedrockInvokeFormat(String name, String ending, boolean stream) {
    super(name, ending, stream, ALLOWANCE);
  }

  /**
   * The top-level {@code temperature} (Anthropic's, Meta's, Mistral's, Cohere's bodies), Amazon
   * Titan's {@code textGenerationConfig.temperature}, Amazon Nova's {@code
   * inferenceConfig.temperature}.
   */
  @Override
  public List<String> temperatureFields() {
    return TEMPERATURE;
  }

  @Override
  long estimate(TokenCounter counter, @Nullable String model, ObjectNode body) {
    long[] counted = new long[2];
    countStrings(counter, model, body, counted);
    return (counted[0] * 5 + 3) / 4 + counted[1] + PER_CALL;
  }

  /** Adds every string's tokens under {@code node} to {@code counted[0]}, media to [1]. */
  private static void countStrings(
      TokenCounter counter, String model, JsonNode node, long[] counted) {
    if (node.isTextual()) {
      String text = node.textValue();
      if (text.length() > MEDIA_CHARS && text.indexOf(' ') < 0) {
        counted[1] += counter.imageTokens();
      } else {
        counted[0] += counter.countText(model, text);
      }
    } else if (node.isContainerNode()) {
      for (JsonNode child : node) {
        countStrings(counter, model, child, counted);
      }
    }
  }

  /**
   * The shape of the model's body, by the model ID of the path (a foundation model's, or an
   * inference profile's or ARN naming it), for the models whose bodies content safety reads: Amazon
   * Titan text ({@code inputText}), Amazon Nova's understanding models (Converse's content blocks),
   * Meta Llama, DeepSeek, Cohere Command and AI21 Jurassic ({@code prompt}), Mistral and AI21 Jamba
   * ({@code prompt} or chat {@code messages}), Cohere Command R ({@code message}, {@code preamble},
   * {@code chat_history}, {@code documents}). Null (the prompt not read) for any other model, and
   * for a body that holds none of its shape's fields (written for another shape than the one its
   * model is known by): a prompt is never said to have passed checks that did not read it.
   */
  @Override
  PromptTexts.@Nullable Shape promptShape(WireRequest request) {
    PromptTexts.Shape shape = modelShape(request.model());
    if (shape == null || !request.bodyUnderstood()) {
      return shape; // a body the gateway could not read is refused or flagged as unreadable
    }
    ObjectNode body = request.body();
    if (body == null) {
      return null;
    }
    for (String field : shape.topFields()) {
      if (body.has(field)) {
        return shape;
      }
    }
    return null;
  }

  /** The body shape of calls to {@code model}, or null when it is not known. */
  static PromptTexts.@Nullable Shape modelShape(@Nullable String model) {
    if (model == null) {
      return null;
    }
    String id = model.toLowerCase(java.util.Locale.ROOT);
    if (id.contains("amazon.titan-text")
        || id.contains("amazon.titan-tg1")
        || id.contains("amazon.titan-embed-text")) {
      return PromptTexts.Shape.TITAN_TEXT;
    }
    for (String nova : NOVA_TEXT_MODELS) {
      if (id.contains(nova)) {
        return PromptTexts.Shape.CONVERSE;
      }
    }
    if (id.contains("meta.llama")
        || id.contains("deepseek.")
        || id.contains("cohere.command-text")
        || id.contains("cohere.command-light")
        || id.contains("ai21.j2")) {
      return PromptTexts.Shape.PROMPT;
    }
    if (id.contains("mistral.") || id.contains("ai21.jamba")) {
      return PromptTexts.Shape.CHAT_MESSAGES;
    }
    if (id.contains("cohere.command-r")) {
      return PromptTexts.Shape.COHERE_CHAT;
    }
    return null;
  }

  /** Amazon Nova's understanding models, whose bodies are Converse's messages. */
  private static final List<String> NOVA_TEXT_MODELS =
      List.of("amazon.nova-micro", "amazon.nova-lite", "amazon.nova-pro", "amazon.nova-premier");

  /**
   * Content safety reads the streamed answers of the models whose answers it knows ({@link
   * InvokeAnswers#family}): each {@code chunk}'s base64 {@code bytes}, decoded, read as the model
   * streams its text.
   */
  @Override
  public boolean readsEventTexts(WireRequest request) {
    return InvokeAnswers.family(request.model()) != null;
  }

  @Override
  public void frameText(WireRequest request, EventStreamFrame frame, EventTexts sink) {
    if (InvokeAnswers.family(request.model()) == null || !"chunk".equals(frame.eventType())) {
      return;
    }
    byte[] json = InvokeChunk.decodedByJdk(frame.bytes(), frame.payloadFrom(), frame.payloadTo());
    if (json == null) {
      return; // no base64 JSON to read
    }
    JsonNode modelJson = Json.parseOrNull(json, 0, json.length);
    if (modelJson != null) {
      InvokeAnswers.chunkTexts(modelJson, sink);
    }
  }

  /** Content safety reads and withholds the JSON answers of the models whose answers it knows. */
  @Override
  public boolean readsAnswers(WireRequest request) {
    return InvokeAnswers.family(request.model()) != null;
  }

  @Override
  public List<String> answerTexts(WireRequest request, byte[] document) {
    return InvokeAnswers.family(request.model()) == null
        ? List.of()
        : InvokeAnswers.texts(document);
  }

  @Override
  public byte[] withheldAnswer(WireRequest request, byte @Nullable [] document, String category) {
    InvokeAnswers.Family family = InvokeAnswers.family(request.model());
    if (family == null) {
      throw new UnsupportedOperationException(name() + " does not withhold this model's answers");
    }
    return InvokeAnswers.withheld(family, document);
  }

  /**
   * An answer of a model whose answers are read ({@link InvokeAnswers#family}) that its content
   * filter cut off or that failed, in the model's own words, in the document or a stream's chunks
   * ({@link FailedAnswers#invokeFailed}): the same call asked again may well be answered whole, so
   * the response cache does not keep it. Another model's answer is kept as it came.
   */
  @Override
  public boolean failedAnswer(WireRequest request, byte[] body, boolean stream) {
    return InvokeAnswers.family(request.model()) != null
        && FailedAnswers.invokeFailed(body, stream);
  }

  @Override
  JsonBody.DocumentReader documentReader() {
    return BedrockInvokeFormat::readAnswer;
  }

  /** A provider's answer: only its text, for an estimate (usage came in the headers). */
  private static void readAnswer(ResponseReadout readout, byte[] document, int from, int to) {
    JsonNode answer = Json.parseOrNull(document, from, to - from);
    if (answer == null) {
      return;
    }
    if (answer.isObject()) {
      JsonNode model = answer.get("model");
      readout.learnUsage(model != null && model.isTextual() ? model.textValue() : null, null);
    }
    appendTexts(readout, answer);
    readout.markComplete();
  }

  /** Appends every string held by a member named as generated text, at any depth. */
  private static void appendTexts(ResponseReadout readout, JsonNode node) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> member = it.next();
        JsonNode value = member.getValue();
        if (value.isTextual() && TEXT_MEMBERS.contains(member.getKey())) {
          readout.appendText(value.textValue());
        } else if (value.isContainerNode()) {
          appendTexts(readout, value);
        }
      }
    } else if (node.isArray()) {
      for (JsonNode child : node) {
        appendTexts(readout, child);
      }
    }
  }

  /**
   * InvokeModelWithResponseStream's messages: a {@code chunk} event's payload {@code
   * {"bytes":"..."}} is the model's own JSON, base64-encoded ({@link InvokeChunk}); the last one
   * carries {@code amazon-bedrock-invocationMetrics}.
   */
  @Override
  EventStreamBody.MessageReader messageReader() {
    InvokeChunk chunk = new InvokeChunk();
    return (readout, frame) -> {
      JsonNode json = chunk.read(frame) ? Json.parseOrNull(chunk.bytes(), 0, chunk.length()) : null;
      if (json != null) {
        appendTexts(readout, json);
        learnMetrics(readout, json);
      }
    };
  }

  /**
   * Learns the usage of a chunk's {@code amazon-bedrock-invocationMetrics}, which Bedrock sends in
   * the last chunk only, and marks the stream complete; nothing when the chunk has none.
   */
  static void learnMetrics(ResponseReadout readout, JsonNode chunk) {
    JsonNode metrics = chunk.get(METRICS);
    if (metrics != null && metrics.isObject()) {
      readout.learnUsage(
          null,
          usage(
              count(metrics, "inputTokenCount"),
              count(metrics, "outputTokenCount"),
              -1,
              count(metrics, "cacheReadInputTokenCount"),
              count(metrics, "cacheWriteInputTokenCount")));
      readout.markComplete();
    }
  }

  @Override
  public @Nullable Replayed replay(CachedResponse cached, boolean stream, boolean includeUsage) {
    return replayAsStored(cached, stream);
  }

  /**
   * An InvokeModel answer replayed in the form it was stored in: a JSON answer to a JSON call, a
   * stream re-framed to a streaming call; null (a miss) across the two.
   */
  static @Nullable Replayed replayAsStored(CachedResponse cached, boolean stream) {
    boolean storedStream = cached.format() == CachedResponse.Format.SSE;
    if (storedStream != stream) {
      return null;
    }
    if (!stream) {
      return new Replayed(cached.body(), JSON_TYPE);
    }
    byte[] body = BedrockReplay.reframed(cached.body());
    return body == null ? null : new Replayed(body, EventStreamBody.CONTENT_TYPE);
  }
}
