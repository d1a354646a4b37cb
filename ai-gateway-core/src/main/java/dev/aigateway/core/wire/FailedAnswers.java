package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Finds what makes a 200 answer that ended complete no answer to keep, beyond an error the body
 * reports (which the answer's readout notes as it passes: {@link ResponseReadout#errorAnswer});
 * read only when an answer is about to be stored.
 *
 * <ul>
 *   <li>OpenAI's shapes ({@link #failed}): an answer the provider's content filter cut off (Azure
 *       OpenAI's and OpenAI's output filter ends a choice with {@code finish_reason:
 *       "content_filter"}, its text partial or empty; a Responses API response is incomplete with
 *       {@code incomplete_details.reason: "content_filter"}).
 *   <li>Gemini's ({@link #geminiFiltered}): a candidate its filters stopped or that failed (any
 *       finish reason but {@code STOP} and {@code MAX_TOKENS}), or a prompt the filters blocked.
 *   <li>Anthropic's Messages ({@link #anthropicRefused}, {@link #bedrockAnthropicRefused}): a
 *       message Claude's classifiers stopped, {@code stop_reason: "refusal"}.
 *   <li>Bedrock InvokeModel's on other models than Claude ({@link #invokeFailed}): an answer the
 *       model's content filter cut off, or that failed, in the model's own words.
 *   <li>Bedrock Converse's ({@link #converseFailed}): an answer its content filter cut off, {@code
 *       stopReason: "content_filtered"}, or whose output or tool use the model failed to form
 *       ({@code malformed_model_output}, {@code malformed_tool_use}).
 * </ul>
 *
 * (An answer that is not whole, or not well-formed, is {@link UnfinishedAnswers}' to find.)
 */
public final class FailedAnswers {

  private static final byte[] CONTENT_FILTER =
      "\"content_filter\"".getBytes(StandardCharsets.US_ASCII);

  /**
   * How far {@link #holdsContentFilter} may move on when the byte under the pattern's last place is
   * {@code b} (Horspool's table): the distance from b's last place in the pattern, its last byte
   * left out, to the end; the whole length for a byte the pattern lacks. Every answer in OpenAI's
   * shapes is searched, so the search looks at about one byte in ten rather than each.
   */
  private static final int[] CONTENT_FILTER_SKIP = new int[256];

  static {
    Arrays.fill(CONTENT_FILTER_SKIP, CONTENT_FILTER.length);
    for (int i = 0; i < CONTENT_FILTER.length - 1; i++) {
      CONTENT_FILTER_SKIP[CONTENT_FILTER[i] & 0xff] = CONTENT_FILTER.length - 1 - i;
    }
  }

  /** The length of the string token {@code "content_filter"}, its quotes included. */
  static final int CONTENT_FILTER_LENGTH = CONTENT_FILTER.length;

  private FailedAnswers() {}

  /**
   * Whether {@code data[at, at + CONTENT_FILTER_LENGTH)}, in range, is the string token {@code
   * "content_filter"}.
   */
  static boolean isContentFilter(byte[] data, int at) {
    return Arrays.equals(
        data, at, at + CONTENT_FILTER.length, CONTENT_FILTER, 0, CONTENT_FILTER.length);
  }

  /**
   * Whether {@code body} (a JSON document, or server-sent events when {@code stream}) was cut off
   * by the provider's content filter.
   */
  static boolean failed(byte[] body, boolean stream) {
    if (!holdsContentFilter(body, 0, body.length)) {
      return false; // nearly every answer: the string is nowhere
    }
    if (!stream) {
      return filtered(body);
    }
    for (byte[] data : GeminiReplay.eventData(body)) {
      if (filtered(data)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the JSON document (or stream event) {@code json} was cut off by a content filter: a
   * choice finished {@code content_filter}, or a response (a Responses API event's {@code
   * response}) is incomplete for that reason.
   */
  private static boolean filtered(byte[] json) {
    return filtered(Json.parseOrNull(json, 0, json.length));
  }

  /**
   * Whether the JSON document or stream event {@code data[from, to)} was cut off by a content
   * filter, as {@link #failed} reads one: parsed only when it holds the string {@code
   * "content_filter"} (as a JSON string token, which text inside a string never is: its quotes are
   * escaped), which nearly none does.
   */
  static boolean filtered(byte[] data, int from, int to) {
    return holdsContentFilter(data, from, to) && filtered(Json.parseOrNull(data, from, to - from));
  }

  /** Whether {@code data[from, to)} holds the string token {@code "content_filter"}. */
  static boolean holdsContentFilter(byte[] data, int from, int to) {
    int last = CONTENT_FILTER.length - 1;
    for (int end = from + last; end < to; end += CONTENT_FILTER_SKIP[data[end] & 0xff]) {
      int k = last;
      while (data[end - last + k] == CONTENT_FILTER[k]) {
        if (k == 0) {
          return true;
        }
        k--;
      }
    }
    return false;
  }

  private static boolean filtered(@Nullable JsonNode document) {
    if (document == null || !document.isObject()) {
      return false;
    }
    for (JsonNode choice : document.path("choices")) {
      if ("content_filter".equals(choice.path("finish_reason").textValue())) {
        return true;
      }
    }
    return "content_filter".equals(document.at("/incomplete_details/reason").textValue())
        || "content_filter".equals(document.at("/response/incomplete_details/reason").textValue());
  }

  private static final byte[] POLICY_VIOLATION =
      "\"ResponsibleAIPolicyViolation\"".getBytes(StandardCharsets.US_ASCII);

  /**
   * Whether the error document {@code body[0, length)} is a refusal of the prompt by the provider's
   * content filter, as Azure OpenAI and Azure AI Foundry answer one (with a 400): its {@code error}
   * object's {@code code} is {@code content_filter}, or its {@code innererror}'s (the older {@code
   * inner_error}'s) is {@code ResponsibleAIPolicyViolation}. Parsed only when it holds one of the
   * two strings as a JSON string token.
   */
  static boolean promptFiltered(byte[] body, int length) {
    if (!holdsContentFilter(body, 0, length) && indexOf(body, POLICY_VIOLATION, 0, length) < 0) {
      return false;
    }
    JsonNode document = Json.parseOrNull(body, 0, length);
    if (document == null || !document.path("error").isObject()) {
      return false;
    }
    JsonNode error = document.path("error");
    return "content_filter".equals(error.path("code").textValue())
        || "ResponsibleAIPolicyViolation".equals(error.at("/innererror/code").textValue())
        || "ResponsibleAIPolicyViolation".equals(error.at("/inner_error/code").textValue());
  }

  /**
   * The finish reasons by which Gemini stops a candidate its filters flagged: its text or its
   * generated image ({@code IMAGE_*}, image models).
   */
  static final Set<String> GEMINI_FILTERED =
      Set.of(
          "SAFETY",
          "RECITATION",
          "BLOCKLIST",
          "PROHIBITED_CONTENT",
          "SPII",
          "MODEL_ARMOR",
          "IMAGE_SAFETY",
          "IMAGE_PROHIBITED_CONTENT",
          "IMAGE_RECITATION");

  /**
   * The finish reasons by which Gemini ends a candidate that answered: a natural stop or a stop
   * sequence ({@code STOP}), or the output allowance reached ({@code MAX_TOKENS}, the answer the
   * call asked for, as OpenAI's {@code length}). Every other one of Google's {@code FinishReason}
   * (ai.google.dev/api/generate-content#FinishReason, Vertex AI's {@code Candidate.FinishReason})
   * ends a candidate that failed: stopped by a filter ({@link #GEMINI_FILTERED}), a function call
   * the model wrote wrong ({@code MALFORMED_FUNCTION_CALL}) or may not make ({@code
   * UNEXPECTED_TOOL_CALL}, {@code TOO_MANY_TOOL_CALLS}), a response it could not form ({@code
   * MALFORMED_RESPONSE}), a request missing a thought signature ({@code
   * MISSING_THOUGHT_SIGNATURE}), no image where one was asked for ({@code NO_IMAGE}, {@code
   * IMAGE_OTHER}), an unsupported language ({@code LANGUAGE}), {@code OTHER}, {@code
   * FINISH_REASON_UNSPECIFIED}, and any reason Google adds later.
   */
  static final Set<String> GEMINI_ANSWERED = Set.of("STOP", "MAX_TOKENS");

  /**
   * Whether {@code finishReason} is one by which Gemini stops a candidate its filters flagged
   * ({@link #GEMINI_FILTERED}): the translation to OpenAI calls it {@code content_filter}.
   */
  public static boolean isGeminiFiltered(String finishReason) {
    return GEMINI_FILTERED.contains(finishReason);
  }

  /**
   * Whether {@code finishReason} is one by which Gemini ends a candidate that answered ({@link
   * #GEMINI_ANSWERED}: {@code STOP}, {@code MAX_TOKENS}); any other ends one that failed, an answer
   * the cache does not keep, whichever OpenAI finish reason a translation gives it.
   */
  public static boolean isGeminiAnswered(String finishReason) {
    return GEMINI_ANSWERED.contains(finishReason);
  }

  private static final byte[] BLOCK_REASON = "\"blockReason\"".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] FINISH_REASON =
      "\"finishReason\"".getBytes(StandardCharsets.US_ASCII);

  private static final List<byte[]> GEMINI_ANSWERED_VALUES =
      GEMINI_ANSWERED.stream()
          .map(reason -> (reason + '"').getBytes(StandardCharsets.US_ASCII))
          .toList();

  /**
   * Whether a Gemini answer (a document, an array of responses, or events when {@code stream}) is
   * no answer to keep: a candidate finished by any reason but {@code STOP} or {@code MAX_TOKENS}
   * ({@link #GEMINI_ANSWERED}): its filters stopped it ({@code SAFETY}, {@code RECITATION}, {@code
   * BLOCKLIST}, {@code PROHIBITED_CONTENT}, {@code SPII}, Vertex AI's {@code MODEL_ARMOR}, the text
   * partial or none, or {@code IMAGE_SAFETY}, {@code IMAGE_PROHIBITED_CONTENT}, {@code
   * IMAGE_RECITATION}, the generated image withheld), or it failed ({@code
   * MALFORMED_FUNCTION_CALL}, {@code UNEXPECTED_TOOL_CALL}, {@code TOO_MANY_TOOL_CALLS}, {@code
   * OTHER}, ...); or the prompt was blocked ({@code promptFeedback.blockReason}), answered with no
   * candidate at all. The same call asked again may well be answered.
   */
  static boolean geminiFiltered(byte[] body, boolean stream) {
    if (!contains(body, BLOCK_REASON) && !namesOtherFinish(body)) {
      return false; // nearly every answer
    }
    List<byte[]> responses =
        stream
            ? GeminiReplay.eventData(body)
            : firstByte(body) == '[' ? GeminiReplay.elements(body) : List.of(body);
    for (byte[] response : responses) {
      JsonNode document = Json.parseOrNull(response, 0, response.length);
      if (document == null) {
        continue;
      }
      if (document.at("/promptFeedback/blockReason").isTextual()) {
        return true; // the prompt was blocked: no candidate at all
      }
      for (JsonNode candidate : document.path("candidates")) {
        String reason = candidate.path("finishReason").textValue();
        if (reason != null && !GEMINI_ANSWERED.contains(reason)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether {@code body} has a {@code "finishReason"} name whose value is not plainly {@code
   * "STOP"} or {@code "MAX_TOKENS"}: one pass over the bytes, without parsing (a quote inside a
   * JSON string is escaped, so the name's bytes occur only as a name). A value written otherwise
   * (escaped, not a string) counts as another reason: the parse decides.
   */
  private static boolean namesOtherFinish(byte[] body) {
    for (int at = indexOf(body, FINISH_REASON, 0);
        at >= 0;
        at = indexOf(body, FINISH_REASON, at + FINISH_REASON.length)) {
      int i = skipSpace(body, at + FINISH_REASON.length);
      if (i >= body.length || body[i] != ':') {
        continue; // not a member's name
      }
      i = skipSpace(body, i + 1);
      if (i >= body.length || body[i] != '"') {
        return true;
      }
      boolean answered = false;
      for (byte[] value : GEMINI_ANSWERED_VALUES) {
        answered |= startsWith(body, i + 1, value);
      }
      if (!answered) {
        return true;
      }
    }
    return false;
  }

  private static int skipSpace(byte[] bytes, int i) {
    while (i < bytes.length && StrictJson.isSpace(bytes[i])) {
      i++;
    }
    return i;
  }

  private static boolean startsWith(byte[] bytes, int from, byte[] part) {
    if (bytes.length - from < part.length) {
      return false;
    }
    for (int k = 0; k < part.length; k++) {
      if (bytes[from + k] != part[k]) {
        return false;
      }
    }
    return true;
  }

  private static final byte[] REFUSAL = "\"refusal\"".getBytes(StandardCharsets.US_ASCII);

  /**
   * Whether an Anthropic Messages answer (a message document, or its server-sent events when {@code
   * stream}) ended in {@code stop_reason: "refusal"}: Claude's classifiers stopped it, its text
   * partial or none (the translators read the same stop reason as OpenAI's {@code content_filter}).
   */
  static boolean anthropicRefused(byte[] body, boolean stream) {
    if (!contains(body, REFUSAL)) {
      return false; // nearly every answer
    }
    if (!stream) {
      return refused(Json.parseOrNull(body, 0, body.length));
    }
    for (byte[] data : GeminiReplay.eventData(body)) {
      if (refused(Json.parseOrNull(data, 0, data.length))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether Claude on Bedrock's InvokeModel answer ended in {@code stop_reason: "refusal"}: a
   * message document, or (when {@code stream}) an event stream whose chunks carry Anthropic's
   * events base64-encoded.
   */
  static boolean bedrockAnthropicRefused(byte[] body, boolean stream) {
    if (!stream) {
      return anthropicRefused(body, false);
    }
    for (EventStreamMessage message : BedrockReplay.messages(body)) {
      byte[] event = InvokeChunk.decodedByJdk(message.payload(), 0, message.payload().length);
      if (event == null) {
        continue; // no base64 event to read
      }
      if (contains(event, REFUSAL) && refused(Json.parseOrNull(event, 0, event.length))) {
        return true;
      }
    }
    return false;
  }

  private static final byte[] CONTENT_FILTERED =
      "\"content_filtered\"".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] MALFORMED = "\"malformed_".getBytes(StandardCharsets.US_ASCII);

  /**
   * Converse's stop reasons of an answer that failed: its content filter cut it off ({@code
   * content_filtered}: the text partial or none), or the model failed to form its output or a tool
   * use ({@code malformed_model_output}, {@code malformed_tool_use}). Asked again, such a call may
   * well be answered whole.
   */
  private static final Set<String> CONVERSE_FAILED_STOPS =
      Set.of("content_filtered", "malformed_model_output", "malformed_tool_use");

  /**
   * Whether Converse's {@code stopReason} (of an answer, or a stream's {@code messageStop}) ends an
   * answer that failed: {@code content_filtered}, {@code malformed_model_output} or {@code
   * malformed_tool_use}. A guardrail's intervention ({@code guardrail_intervened}) is the
   * guardrail's answer, given again to the same call under the same guardrail, and is no failure.
   */
  public static boolean converseFailedStop(@Nullable String stopReason) {
    return stopReason != null && CONVERSE_FAILED_STOPS.contains(stopReason);
  }

  /**
   * Whether a Converse answer (a document, or a ConverseStream's event stream when {@code stream})
   * ended in a stop reason of a failed answer ({@link #converseFailedStop}); the translators read
   * {@code content_filtered} as OpenAI's {@code content_filter}.
   */
  static boolean converseFailed(byte[] body, boolean stream) {
    if (!stream) {
      return mayEndFailed(body) && failedStop(Json.parseOrNull(body, 0, body.length));
    }
    for (EventStreamMessage message : BedrockReplay.messages(body)) {
      byte[] payload = message.payload();
      if ("messageStop".equals(message.eventType())
          && mayEndFailed(payload)
          && failedStop(Json.parseOrNull(payload, 0, payload.length))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code bytes} hold a failed answer's stop reason at all: no tree is built otherwise.
   */
  private static boolean mayEndFailed(byte[] bytes) {
    return contains(bytes, CONTENT_FILTERED) || contains(bytes, MALFORMED);
  }

  private static boolean failedStop(@Nullable JsonNode document) {
    return document != null && converseFailedStop(document.path("stopReason").textValue());
  }

  /**
   * The members by which the models on Bedrock's InvokeModel other than Claude say why an answer
   * ended ({@link InvokeAnswers}): Titan's {@code completionReason}, Nova's {@code stopReason},
   * Llama's, Mistral's and DeepSeek's {@code stop_reason}, Cohere's and AI21 Jamba's {@code
   * finish_reason}, AI21 Jurassic's {@code finishReason.reason}.
   */
  private static final Set<String> INVOKE_END_MEMBERS =
      Set.of("completionReason", "stopReason", "stop_reason", "finish_reason", "finishReason");

  /**
   * Their reasons of an answer that failed: cut off by the model's content filter (Titan's {@code
   * CONTENT_FILTERED}; {@code content_filtered} of Nova, Llama, Mistral, DeepSeek and AI21
   * Jurassic; AI21 Jamba's {@code content_filter}; Cohere's {@code ERROR_TOXIC}), Cohere's {@code
   * ERROR}, and Nova's output or tool use the model failed to form, as Converse's ({@link
   * #converseFailedStop}).
   */
  private static final Set<String> INVOKE_FAILED_REASONS =
      Set.of(
          "CONTENT_FILTERED",
          "content_filtered",
          "content_filter",
          "ERROR_TOXIC",
          "ERROR",
          "malformed_model_output",
          "malformed_tool_use");

  /**
   * Whether an InvokeModel answer of a model other than Claude (a document, or when {@code stream}
   * an event stream whose chunks carry the model's JSON base64-encoded) ended failed: a member of
   * {@link #INVOKE_END_MEMBERS}, at any depth (the models place it at the top, in each of their
   * {@code results}, {@code outputs}, {@code generations} or {@code choices}, in a stream's {@code
   * messageStop}), gives a reason of {@link #INVOKE_FAILED_REASONS}.
   */
  static boolean invokeFailed(byte[] body, boolean stream) {
    if (!stream) {
      return invokeFailed(Json.parseOrNull(body, 0, body.length));
    }
    for (EventStreamMessage message : BedrockReplay.messages(body)) {
      byte[] payload = message.payloadBytes();
      byte[] chunk = InvokeChunk.decodedByJdk(payload, 0, payload.length);
      if (chunk != null && invokeFailed(Json.parseOrNull(chunk, 0, chunk.length))) {
        return true;
      }
    }
    return false;
  }

  private static boolean invokeFailed(@Nullable JsonNode node) {
    if (node == null) {
      return false;
    }
    if (node.isObject()) {
      for (var members = node.fields(); members.hasNext(); ) {
        var member = members.next();
        JsonNode value = member.getValue();
        if (INVOKE_END_MEMBERS.contains(member.getKey())
            && INVOKE_FAILED_REASONS.contains(
                value.isObject() ? value.path("reason").asText("") : value.asText(""))) {
          return true;
        }
        if (value.isContainerNode() && invokeFailed(value)) {
          return true;
        }
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        if (invokeFailed(element)) {
          return true;
        }
      }
    }
    return false;
  }

  /** A message, or an event of one ({@code message_start}, {@code message_delta}), refused. */
  private static boolean refused(@Nullable JsonNode document) {
    if (document == null || !document.isObject()) {
      return false;
    }
    return "refusal".equals(document.path("stop_reason").textValue())
        || "refusal".equals(document.at("/delta/stop_reason").textValue())
        || "refusal".equals(document.at("/message/stop_reason").textValue());
  }

  private static int firstByte(byte[] body) {
    for (byte b : body) {
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return b;
      }
    }
    return -1;
  }

  private static boolean contains(byte[] bytes, byte[] part) {
    return indexOf(bytes, part, 0, bytes.length) >= 0;
  }

  /** Where {@code part} first occurs in {@code bytes} from {@code from} on, or -1. */
  private static int indexOf(byte[] bytes, byte[] part, int from) {
    return indexOf(bytes, part, from, bytes.length);
  }

  /** Where {@code part} first occurs in {@code bytes[from, to)}, or -1. */
  static int indexOf(byte[] bytes, byte[] part, int from, int to) {
    int last = to - part.length;
    outer:
    for (int i = from; i <= last; i++) {
      if (bytes[i] != part[0]) {
        continue;
      }
      for (int k = 1; k < part.length; k++) {
        if (bytes[i + k] != part[k]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
