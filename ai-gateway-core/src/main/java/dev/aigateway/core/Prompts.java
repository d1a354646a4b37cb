package dev.aigateway.core;

import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.wire.PromptTokens;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The prompt tokens of a request, counted before it is sent as the gateway counts them, so that an
 * application can see what a token limit reserves for a request without calling any backend.
 *
 * <p>A {@link TokenCounter} counts texts in a model's encoding; this class finds a request's prompt
 * in the request body (its messages, inputs, tool definitions, …) and counts it with one. (It was
 * {@code TokenCounter.countPrompt(model, operation, requestJson)} before: reading a request's body
 * is the wire formats' business, which use the token counter, not the other way round.)
 *
 * <p>Chat messages follow OpenAI's published rule from the cookbook "How to count tokens with
 * tiktoken" ({@code num_tokens_from_messages}): 3 tokens per message, 1 more when the message has a
 * {@code name}, the tokens of every string value of the message, and 3 tokens priming the reply.
 * Images, audio, files and tool definitions have no exact public rule; they are counted as
 * documented estimates that err high, because a reservation that is too small lets a caller overrun
 * a limit while one that is too large is settled back to actual usage after the call.
 *
 * <pre>{@code
 * TokenCounter counter = TokenCounter.builder()
 *     .encodingForModelPrefix("my-deployment", TokenEncoding.CL100K_BASE) // an Azure deployment name
 *     .imageTokens(48_169)                                                 // callers use gpt-4o-mini
 *     .build();
 * String requestJson = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}";
 * int prompt = Prompts.countTokens(counter, "gpt-4o", Operation.CHAT_COMPLETIONS, requestJson);
 * }</pre>
 */
public final class Prompts {

  private Prompts() {}

  /**
   * The prompt tokens of a request body, given as JSON text, for an operation, counted with {@code
   * counter}'s encodings and {@linkplain TokenCounter#imageTokens() image bound}.
   *
   * <ul>
   *   <li>{@link Operation#CHAT_COMPLETIONS}: {@code messages}, plus the estimate for {@code tools}
   *       and legacy {@code functions} (below). Each message costs 3 tokens, plus 1 when it has a
   *       {@code name}, plus the tokens of each of its string values ({@code role}, {@code
   *       content}, {@code name}, {@code tool_call_id}, …); the reply is primed with 3 more.
   *       Content given as parts counts each text part as text and each image, audio, file or
   *       unknown part as the {@linkplain TokenCounter.Builder#imageTokens(int) image bound}.
   *       Assistant {@code tool_calls} and legacy {@code function_call} count their function name
   *       and arguments as text. Elements that are not objects are skipped.
   *   <li>{@link Operation#COMPLETIONS}: {@code prompt} (a string, strings, token ids, or arrays of
   *       token ids, which count their length) and {@code suffix}.
   *   <li>{@link Operation#EMBEDDINGS}: {@code input}, in the same shapes as {@code prompt}.
   *   <li>{@link Operation#RESPONSES}: {@code instructions} as a developer message, {@code input}
   *       (a string as a user message, or items: messages counted like chat messages, other items
   *       such as {@code function_call} and {@code function_call_output} with the same per-message
   *       overhead and their string fields, ids and status excepted), 3 tokens priming the reply,
   *       plus the estimate for {@code tools}.
   *   <li>{@link Operation#MESSAGES}: an Anthropic Messages body, as the gateway estimates a
   *       Messages call.
   *   <li>{@link Operation#GENERATE_CONTENT}: a Gemini generateContent body, as the gateway
   *       estimates a generateContent call.
   * </ul>
   *
   * <p>Tool definitions (chat {@code tools}, legacy {@code functions}, Responses {@code tools})
   * have no exact public rule, so each definition counts the tokens of its compact JSON plus 10,
   * and a non-empty list 12 more: an estimate that errs high, since the rendering OpenAI uses drops
   * most of the JSON punctuation and schema keywords. A structured-output schema, which the backend
   * renders into the prompt likewise, counts the tokens of its compact JSON: a chat request's
   * {@code response_format.json_schema} and a Responses request's {@code text.format}, when their
   * type is {@code json_schema} ({@code json_object} and {@code text} count nothing).
   *
   * <p>When {@code model} is null or blank, the body's {@code model} field chooses the encoding. A
   * null or malformed body, a body that is not a JSON object, or a null operation counts 0; missing
   * or odd fields count 0; this method never throws on the content of the body.
   *
   * @param counter the counter whose encodings and image bound count the prompt: {@link
   *     TokenCounter#defaults()}, or a gateway's {@link AiGateway#tokenCounter()} to count as that
   *     gateway does
   */
  public static int countTokens(
      TokenCounter counter,
      @Nullable String model,
      @Nullable Operation operation,
      @Nullable String requestJson) {
    Objects.requireNonNull(counter, "counter");
    if (requestJson == null || operation == null) {
      return 0;
    }
    return PromptTokens.countJson(counter, model, operation, requestJson);
  }
}
