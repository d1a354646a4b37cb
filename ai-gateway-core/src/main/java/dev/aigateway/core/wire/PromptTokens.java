package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenEncoding;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The prompt tokens of an OpenAI-shaped request body, counted by the rules the public {@code
 * Prompts.countTokens} (package {@code dev.aigateway.core}) documents, either on a tree ({@link
 * #count(TokenCounter, String, Operation, JsonNode)}) or straight off the JSON text with a
 * streaming parser, no tree built ({@link #countJson(TokenCounter, String, Operation, String)}):
 * the same count either way. The gateway counts the tree when its request view has already parsed
 * one, else the bytes; {@code Prompts.countTokens} counts the text applications give it. The rules
 * live here, with the formats that read requests, and count with {@link TokenCounter}: {@code
 * core.tokens} reads no wire type.
 */
public final class PromptTokens {

  static final int TOKENS_PER_MESSAGE = 3;
  static final int TOKENS_PER_NAME = 1;
  static final int REPLY_PRIMING_TOKENS = 3;

  // Tool definitions are rendered by OpenAI in an unpublished format. The cookbook fits 7 to 10
  // tokens per function and 12 per request on top of the names and descriptions; the compact JSON
  // counted here also holds braces, quotes and schema keywords the rendering drops, so the
  // estimate errs high.
  private static final int TOKENS_PER_TOOL = 10;
  private static final int TOKENS_PER_TOOL_LIST = 12;

  // Content parts whose "text" (or "refusal") string is the content; every other part type is an
  // image, audio clip, file or something newer, and counts the image bound.
  private static final Set<String> TEXT_PART_TYPES =
      Set.of("text", "input_text", "output_text", "refusal", "summary_text", "reasoning_text");

  // Responses items carry bookkeeping that is not model input; ids alone are ~20 tokens per item.
  private static final Set<String> RESPONSES_BOOKKEEPING_FIELDS = Set.of("type", "id", "status");

  private final TokenCounter counter;
  private final TokenEncoding encoding;

  private PromptTokens(TokenCounter counter, TokenEncoding encoding) {
    this.counter = counter;
    this.encoding = encoding;
  }

  /**
   * The prompt tokens of a request body for an operation, as {@code Prompts.countTokens} counts
   * them: 0 for a null body or operation, a body that is not an object, and missing or odd fields;
   * never throws on the shape of the body.
   */
  public static int count(
      TokenCounter counter,
      @Nullable String model,
      @Nullable Operation operation,
      @Nullable JsonNode requestBody) {
    if (requestBody == null || !requestBody.isObject() || operation == null) {
      return 0;
    }
    String effectiveModel =
        model == null || model.isBlank() ? requestBody.path("model").textValue() : model;
    PromptTokens prompt = new PromptTokens(counter, counter.encodingFor(effectiveModel));
    long tokens =
        switch (operation) {
          case CHAT_COMPLETIONS ->
              prompt.messages(requestBody.get("messages"))
                  + prompt.tools(requestBody.get("tools"))
                  + prompt.tools(requestBody.get("functions"))
                  + prompt.responseFormat(requestBody.get("response_format"));
          case COMPLETIONS ->
              prompt.promptInput(requestBody.get("prompt"))
                  + prompt.text(requestBody.get("suffix"));
          case EMBEDDINGS -> prompt.promptInput(requestBody.get("input"));
          case RESPONSES ->
              prompt.responsesInput(requestBody)
                  + prompt.tools(requestBody.get("tools"))
                  + prompt.textFormat(requestBody.get("text"));
          case MESSAGES -> AnthropicPrompt.estimate(counter, requestBody);
          case GENERATE_CONTENT ->
              GeminiPrompt.estimate(counter, effectiveModel, (ObjectNode) requestBody);
          case EXECUTE_TOOL, INVOKE_AGENT -> 0; // no prompt: tool and agent calls
        };
    return (int) Math.min(Integer.MAX_VALUE, tokens);
  }

  /**
   * Whether the prompt of {@code operation} is counted on the body's tree only, by its own
   * protocol's estimate (Anthropic's Messages, Gemini's generateContent), never by the streaming
   * read of the OpenAI shapes.
   */
  private static boolean countedOnTree(Operation operation) {
    return operation == Operation.MESSAGES || operation == Operation.GENERATE_CONTENT;
  }

  /** The prompt tokens of a request body given as UTF-8 JSON bytes; as for text. */
  static int countJson(
      TokenCounter counter, @Nullable String model, @Nullable Operation operation, byte[] body) {
    if (operation == null || countedOnTree(operation)) {
      return count(counter, model, operation, Json.parseOrNull(body, 0, body.length));
    }
    try {
      return streamed(counter, model, operation, body, null);
    } catch (IOException | RuntimeException e) {
      return count(counter, model, operation, Json.parseOrNull(body, 0, body.length));
    }
  }

  /**
   * The streaming count of a body of an operation other than {@link Operation#MESSAGES}, for a
   * caller that holds the body's tree or builds it when this throws: the count then comes from
   * {@link #count(TokenCounter, String, Operation, JsonNode)}. A body {@link StrictJson} accepted
   * whole ({@code strict}) is walked on its bytes without a parser.
   */
  static int streamed(
      TokenCounter counter,
      @Nullable String model,
      Operation operation,
      byte[] body,
      boolean strict)
      throws IOException {
    if (strict && model != null && !model.isBlank()) {
      // The model is known, so the body is walked once: no source to open it again.
      return streamed(counter, model, operation, JsonTokens.ofStrict(body));
    }
    return strict
        ? streamed(counter, model, operation, () -> JsonTokens.ofStrict(body))
        : streamed(counter, model, operation, body, null);
  }

  /**
   * The prompt tokens of a request body given as JSON text: the same count as {@link
   * #count(TokenCounter, String, Operation, JsonNode)} gives the body's tree, read with a streaming
   * parser instead of a tree (only tool definitions, whose compact JSON is counted, are read as
   * trees). A body the streaming read does not finish (malformed JSON, an object with a repeated
   * member the count reads, more members than it tracks) is counted on its tree, so the count never
   * differs; text that is not JSON counts 0.
   */
  public static int countJson(
      TokenCounter counter, @Nullable String model, @Nullable Operation operation, String body) {
    if (operation != null && !countedOnTree(operation)) {
      try {
        return streamed(counter, model, operation, null, body);
      } catch (IOException | RuntimeException e) {
        // counted on the tree below, which decides what the streaming read could not
      }
    }
    JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      return 0;
    }
    return count(counter, model, operation, tree);
  }

  /** The streaming count of {@code bytes}, or of {@code text} when bytes is null. */
  private static int streamed(
      TokenCounter counter,
      @Nullable String model,
      Operation operation,
      byte @Nullable [] bytes,
      @Nullable String text)
      throws IOException {
    JsonFactory factory = Json.MAPPER.getFactory();
    return streamed(
        counter,
        model,
        operation,
        () ->
            JsonTokens.of(
                bytes != null ? factory.createParser(bytes) : factory.createParser(text)));
  }

  /** The tokens of the body, read anew by each call. */
  private interface TokenSource {
    JsonTokens open() throws IOException;
  }

  private static int streamed(
      TokenCounter counter, @Nullable String model, Operation operation, TokenSource body)
      throws IOException {
    String effectiveModel = model;
    if (model == null || model.isBlank()) {
      try (JsonTokens tokens = body.open()) {
        effectiveModel = StreamedPrompt.topLevelModel(tokens);
      }
    }
    return streamed(counter, effectiveModel, operation, body.open());
  }

  /** The count of the body whose tokens are {@code body}, in the encoding of {@code model}. */
  private static int streamed(
      TokenCounter counter, @Nullable String model, Operation operation, JsonTokens body)
      throws IOException {
    PromptTokens prompt = new PromptTokens(counter, counter.encodingFor(model));
    try (JsonTokens tokens = body) {
      return (int) Math.min(Integer.MAX_VALUE, new StreamedPrompt(prompt, tokens).count(operation));
    }
  }

  private long messages(@Nullable JsonNode messages) {
    if (messages == null || !messages.isArray()) {
      return 0;
    }
    long tokens = REPLY_PRIMING_TOKENS;
    for (JsonNode message : messages) {
      tokens += message(message, Set.of());
    }
    return tokens;
  }

  private long message(JsonNode message, Set<String> ignoredFields) {
    if (!message.isObject()) {
      return 0;
    }
    long tokens = TOKENS_PER_MESSAGE;
    for (Map.Entry<String, JsonNode> field : message.properties()) {
      String key = field.getKey();
      JsonNode value = field.getValue();
      if (ignoredFields.contains(key)) {
        continue;
      }
      if (value.isTextual()) {
        tokens += text(value.textValue());
        if (key.equals("name")) {
          tokens += TOKENS_PER_NAME;
        }
      } else if (key.equals("tool_calls")) {
        tokens += toolCalls(value);
      } else if (key.equals("function_call")) {
        tokens += stringValues(value);
      } else if (value.isArray()) {
        tokens += contentParts(value);
      }
    }
    return tokens;
  }

  private long contentParts(JsonNode parts) {
    long tokens = 0;
    for (JsonNode part : parts) {
      if (part.isTextual()) {
        tokens += text(part.textValue());
      } else if (part.isObject()) {
        String type = part.path("type").asText("");
        if (TEXT_PART_TYPES.contains(type) || (type.isEmpty() && part.has("text"))) {
          tokens += text(part.get("text")) + text(part.get("refusal"));
        } else {
          tokens += counter.imageTokens();
        }
      }
    }
    return tokens;
  }

  private long toolCalls(JsonNode calls) {
    if (!calls.isArray()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode call : calls) {
      // "function" holds name and arguments; "custom" (custom tools) holds name and input.
      tokens += stringValues(call.get("function"));
      tokens += stringValues(call.get("custom"));
    }
    return tokens;
  }

  private long stringValues(@Nullable JsonNode object) {
    if (object == null || !object.isObject()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode value : object) {
      tokens += text(value);
    }
    return tokens;
  }

  private long tools(@Nullable JsonNode tools) {
    if (tools == null || !tools.isArray() || tools.isEmpty()) {
      return 0;
    }
    long tokens = TOKENS_PER_TOOL_LIST;
    for (JsonNode tool : tools) {
      if (!tool.isObject()) {
        continue;
      }
      JsonNode function = tool.get("function");
      JsonNode definition = function != null && function.isObject() ? function : tool;
      // JsonNode.toString() is compact JSON.
      tokens += TOKENS_PER_TOOL + text(definition.toString());
    }
    return tokens;
  }

  /**
   * A chat request's {@code response_format}: the compact JSON of its {@code json_schema} (name,
   * schema, strict) when its type is {@code json_schema}, which the backend renders into the prompt
   * as it does a tool's definition; 0 for any other format ({@code json_object}, {@code text}).
   */
  private long responseFormat(@Nullable JsonNode format) {
    if (format == null || !"json_schema".equals(format.path("type").textValue())) {
      return 0;
    }
    JsonNode schema = format.get("json_schema");
    return schema != null && schema.isObject() ? text(schema.toString()) : 0;
  }

  /**
   * A Responses API request's {@code text}: the compact JSON of its {@code format} when that is a
   * {@code json_schema} format (type, name, schema, strict), rendered into the prompt as a chat
   * request's {@link #responseFormat}; 0 otherwise.
   */
  private long textFormat(@Nullable JsonNode text) {
    JsonNode format = text == null ? null : text.get("format");
    if (format == null
        || !format.isObject()
        || !"json_schema".equals(format.path("type").textValue())) {
      return 0;
    }
    return text(format.toString());
  }

  private long promptInput(@Nullable JsonNode input) {
    if (input == null) {
      return 0;
    }
    if (input.isTextual()) {
      return text(input.textValue());
    }
    if (!input.isArray()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode element : input) {
      if (element.isArray()) {
        for (JsonNode inner : element) {
          tokens += textOrTokenId(inner);
        }
      } else {
        tokens += textOrTokenId(element);
      }
    }
    return tokens;
  }

  private long textOrTokenId(JsonNode element) {
    if (element.isTextual()) {
      return text(element.textValue());
    }
    return element.isIntegralNumber() ? 1 : 0;
  }

  /**
   * A Responses API request's {@code instructions} and {@code input}: what the request sends. The
   * earlier turns a server adds for {@code previous_response_id} or {@code conversation} are not in
   * it and are not counted (the gateway cannot know them); the call's settlement on the reported
   * usage, which counts them, corrects the charge.
   */
  private long responsesInput(JsonNode body) {
    JsonNode instructions = body.get("instructions");
    JsonNode input = body.get("input");
    boolean hasInstructions = instructions != null && instructions.isTextual();
    boolean hasInput = input != null && (input.isTextual() || input.isArray());
    if (!hasInstructions && !hasInput) {
      return 0;
    }
    long tokens = REPLY_PRIMING_TOKENS;
    if (hasInstructions) {
      tokens += impliedMessage("developer", instructions.textValue());
    }
    if (input != null && input.isTextual()) {
      tokens += impliedMessage("user", input.textValue());
    } else if (input != null && input.isArray()) {
      for (JsonNode item : input) {
        tokens +=
            item.isTextual() ? text(item.textValue()) : message(item, RESPONSES_BOOKKEEPING_FIELDS);
      }
    }
    return tokens;
  }

  // A string the Responses API turns into a message, counted as that message would be.
  private long impliedMessage(String role, String content) {
    return TOKENS_PER_MESSAGE + text(role) + text(content);
  }

  private long text(@Nullable JsonNode node) {
    return node != null && node.isTextual() ? text(node.textValue()) : 0;
  }

  private long text(String text) {
    return counter.countText(encoding, text);
  }

  /**
   * The count of one body off a streaming parser, by the rules of the tree methods above, member by
   * member. The tree keeps the last of repeated members; rather than track which one that is, a
   * repeated member the count reads (a message's, a function's, a content part's or tool call's
   * counted members, the body's counted fields) ends the read with {@link #FALLBACK}, and the body
   * is counted on its tree. So does an object with more members than {@link #MAX_TRACKED_NAMES},
   * whose repeats would cost a quadratic search.
   */
  private static final class StreamedPrompt {

    /** Thrown (without a stack trace) when the body is to be counted on its tree instead. */
    private static final RuntimeException FALLBACK = new CountOnTree();

    /** The type of a part whose type is a number or a boolean: not empty, and no text type. */
    private static final String SCALAR_TYPE = "(number or boolean)";

    /** The most members of one counted object checked for repeats; more fall back to the tree. */
    private static final int MAX_TRACKED_NAMES = 64;

    private final PromptTokens prompt;
    private final JsonTokens p;

    /** Member names of the objects being read, innermost last; {@code top} names in use. */
    private String[] names = new String[4];

    private int top;

    /** Why a streaming read stops: the body is counted on its tree. One shared instance. */
    private static final class CountOnTree extends RuntimeException {
      private static final long serialVersionUID = 1L;

      CountOnTree() {
        super("counted on the tree", null, false, false);
      }
    }

    StreamedPrompt(PromptTokens prompt, JsonTokens p) {
      this.prompt = prompt;
      this.p = p;
    }

    /** The body's last top-level {@code model} string (null when none or not a string). */
    static @Nullable String topLevelModel(JsonTokens p) throws IOException {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String model = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean isModel = p.currentName().equals("model");
        JsonToken value = p.nextToken();
        if (isModel) {
          model = value == JsonToken.VALUE_STRING ? p.getText() : null;
        }
        p.skipChildren();
      }
      return model;
    }

    long count(Operation operation) throws IOException {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return 0; // not an object: 0, as for the tree, whether or not the rest is JSON
      }
      // The members counted, by name; each may appear once.
      long first = 0;
      long second = 0;
      long third = 0;
      long fourth = 0;
      int seen = 0;
      boolean responsesInput = false;
      boolean responsesInstructions = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        int slot = slot(operation, name);
        if (slot < 0) {
          p.skipChildren();
          continue;
        }
        if ((seen & (1 << slot)) != 0) {
          throw FALLBACK;
        }
        seen |= 1 << slot;
        switch (operation) {
          case CHAT_COMPLETIONS -> {
            switch (slot) {
              case 0 -> first = messages(value);
              case 1 -> second = tools(value);
              case 2 -> third = tools(value);
              default -> fourth = prompt.responseFormat(tree(value));
            }
          }
          case COMPLETIONS -> {
            if (slot == 0) {
              first = promptInput(value);
            } else {
              second = text(value);
            }
          }
          case EMBEDDINGS -> first = promptInput(value);
          case RESPONSES -> {
            switch (slot) {
              case 0 -> {
                responsesInstructions = value == JsonToken.VALUE_STRING;
                first = responsesInstructions ? prompt.impliedMessage("developer", p.getText()) : 0;
                p.skipChildren();
              }
              case 1 -> {
                responsesInput = value == JsonToken.VALUE_STRING || value == JsonToken.START_ARRAY;
                second = responsesItems(value);
              }
              case 2 -> third = tools(value);
              default -> fourth = prompt.textFormat(tree(value));
            }
          }
          default -> p.skipChildren();
        }
      }
      if (operation == Operation.RESPONSES && (responsesInput || responsesInstructions)) {
        first += REPLY_PRIMING_TOKENS;
      }
      return first + second + third + fourth;
    }

    /**
     * The object whose first token is {@code value}, read as a tree (as tool definitions are);
     * null, its value skipped, when it is not an object.
     */
    private @Nullable JsonNode tree(JsonToken value) throws IOException {
      if (value != JsonToken.START_OBJECT) {
        p.skipChildren();
        return null;
      }
      return p.readTree();
    }

    /** Which counted member of the operation {@code name} is (0 to 3), or -1 for none. */
    private static int slot(Operation operation, String name) {
      return switch (operation) {
        case CHAT_COMPLETIONS ->
            name.equals("messages")
                ? 0
                : name.equals("tools")
                    ? 1
                    : name.equals("functions") ? 2 : name.equals("response_format") ? 3 : -1;
        case COMPLETIONS -> name.equals("prompt") ? 0 : name.equals("suffix") ? 1 : -1;
        case EMBEDDINGS -> name.equals("input") ? 0 : -1;
        case RESPONSES ->
            name.equals("instructions")
                ? 0
                : name.equals("input")
                    ? 1
                    : name.equals("tools") ? 2 : name.equals("text") ? 3 : -1;
        default -> -1;
      };
    }

    private long messages(JsonToken value) throws IOException {
      if (value != JsonToken.START_ARRAY) {
        p.skipChildren();
        return 0;
      }
      long tokens = REPLY_PRIMING_TOKENS;
      for (JsonToken element = p.nextToken();
          element != JsonToken.END_ARRAY;
          element = p.nextToken()) {
        tokens += message(element, false);
      }
      return tokens;
    }

    /** A message (or Responses item) whose first token is {@code value}; 0 when not an object. */
    private long message(JsonToken value, boolean responsesItem) throws IOException {
      if (value != JsonToken.START_OBJECT) {
        p.skipChildren();
        return 0;
      }
      int scope = top;
      long tokens = TOKENS_PER_MESSAGE;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        remember(scope, key);
        JsonToken member = p.nextToken();
        if (responsesItem && RESPONSES_BOOKKEEPING_FIELDS.contains(key)) {
          p.skipChildren();
        } else if (member == JsonToken.VALUE_STRING) {
          tokens += p.countText(prompt.counter, prompt.encoding);
          if (key.equals("name")) {
            tokens += TOKENS_PER_NAME;
          }
        } else if (key.equals("tool_calls")) {
          tokens += toolCalls(member);
        } else if (key.equals("function_call")) {
          tokens += stringValues(member);
        } else if (member == JsonToken.START_ARRAY) {
          tokens += contentParts();
        } else {
          p.skipChildren();
        }
      }
      top = scope;
      return tokens;
    }

    /** The parts of an array the parser has just entered. */
    private long contentParts() throws IOException {
      long tokens = 0;
      for (JsonToken part = p.nextToken(); part != JsonToken.END_ARRAY; part = p.nextToken()) {
        if (part == JsonToken.VALUE_STRING) {
          tokens += p.countText(prompt.counter, prompt.encoding);
        } else if (part == JsonToken.START_OBJECT) {
          tokens += contentPart();
        } else {
          p.skipChildren();
        }
      }
      return tokens;
    }

    /**
     * A content part object the parser has just entered. Its type reads as the tree's {@code
     * path("type").asText("")}: a string's text, "" when missing, null or a container, and a
     * non-empty text no part type has for a number or a boolean.
     */
    private long contentPart() throws IOException {
      String type = "";
      String text = null;
      String refusal = null;
      boolean hasType = false;
      boolean hasText = false;
      boolean hasRefusal = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonToken value = p.nextToken();
        switch (key) {
          case "type" -> {
            hasType = once(hasType);
            type =
                value == JsonToken.VALUE_STRING
                    ? p.getText()
                    : value.isScalarValue() && value != JsonToken.VALUE_NULL ? SCALAR_TYPE : "";
          }
          case "text" -> {
            hasText = once(hasText);
            text = value == JsonToken.VALUE_STRING ? p.getText() : null;
          }
          case "refusal" -> {
            hasRefusal = once(hasRefusal);
            refusal = value == JsonToken.VALUE_STRING ? p.getText() : null;
          }
          default -> {
            // not read
          }
        }
        p.skipChildren();
      }
      if (TEXT_PART_TYPES.contains(type) || (type.isEmpty() && hasText)) {
        return textOrZero(text) + textOrZero(refusal);
      }
      return prompt.counter.imageTokens();
    }

    private long toolCalls(JsonToken value) throws IOException {
      if (value != JsonToken.START_ARRAY) {
        p.skipChildren();
        return 0;
      }
      long tokens = 0;
      for (JsonToken call = p.nextToken(); call != JsonToken.END_ARRAY; call = p.nextToken()) {
        if (call != JsonToken.START_OBJECT) {
          p.skipChildren();
          continue;
        }
        boolean hasFunction = false;
        boolean hasCustom = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          JsonToken member = p.nextToken();
          if (key.equals("function")) {
            hasFunction = once(hasFunction);
            tokens += stringValues(member);
          } else if (key.equals("custom")) {
            hasCustom = once(hasCustom);
            tokens += stringValues(member);
          } else {
            p.skipChildren();
          }
        }
      }
      return tokens;
    }

    /** The tokens of the string members of an object; 0 for any other value. */
    private long stringValues(JsonToken value) throws IOException {
      if (value != JsonToken.START_OBJECT) {
        p.skipChildren();
        return 0;
      }
      int scope = top;
      long tokens = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        remember(scope, p.currentName());
        if (p.nextToken() == JsonToken.VALUE_STRING) {
          tokens += p.countText(prompt.counter, prompt.encoding);
        } else {
          p.skipChildren();
        }
      }
      top = scope;
      return tokens;
    }

    /** Tool definitions: each read as a tree, since its compact JSON is what is counted. */
    private long tools(JsonToken value) throws IOException {
      if (value != JsonToken.START_ARRAY) {
        p.skipChildren();
        return 0;
      }
      long tokens = 0;
      boolean any = false;
      for (JsonToken tool = p.nextToken(); tool != JsonToken.END_ARRAY; tool = p.nextToken()) {
        any = true;
        if (tool != JsonToken.START_OBJECT) {
          p.skipChildren();
          continue;
        }
        JsonNode definition = p.readTree();
        JsonNode function = definition.get("function");
        tokens +=
            TOKENS_PER_TOOL
                + prompt.text(
                    (function != null && function.isObject() ? function : definition).toString());
      }
      return any ? TOKENS_PER_TOOL_LIST + tokens : 0;
    }

    private long promptInput(JsonToken value) throws IOException {
      if (value == JsonToken.VALUE_STRING) {
        return p.countText(prompt.counter, prompt.encoding);
      }
      if (value != JsonToken.START_ARRAY) {
        p.skipChildren();
        return 0;
      }
      long tokens = 0;
      for (JsonToken element = p.nextToken();
          element != JsonToken.END_ARRAY;
          element = p.nextToken()) {
        if (element == JsonToken.START_ARRAY) {
          for (JsonToken inner = p.nextToken();
              inner != JsonToken.END_ARRAY;
              inner = p.nextToken()) {
            tokens += textOrTokenId(inner);
          }
        } else {
          tokens += textOrTokenId(element);
        }
      }
      return tokens;
    }

    private long textOrTokenId(JsonToken value) throws IOException {
      if (value == JsonToken.VALUE_STRING) {
        return p.countText(prompt.counter, prompt.encoding);
      }
      p.skipChildren();
      return value == JsonToken.VALUE_NUMBER_INT ? 1 : 0;
    }

    /** A Responses {@code input}: a string as a user message, or items. */
    private long responsesItems(JsonToken value) throws IOException {
      if (value == JsonToken.VALUE_STRING) {
        return prompt.impliedMessage("user", p.getText());
      }
      if (value != JsonToken.START_ARRAY) {
        p.skipChildren();
        return 0;
      }
      long tokens = 0;
      for (JsonToken item = p.nextToken(); item != JsonToken.END_ARRAY; item = p.nextToken()) {
        tokens +=
            item == JsonToken.VALUE_STRING
                ? p.countText(prompt.counter, prompt.encoding)
                : message(item, true);
      }
      return tokens;
    }

    private long text(JsonToken value) throws IOException {
      if (value == JsonToken.VALUE_STRING) {
        return p.countText(prompt.counter, prompt.encoding);
      }
      p.skipChildren();
      return 0;
    }

    private long textOrZero(@Nullable String text) {
      return text == null ? 0 : prompt.text(text);
    }

    /** Notes a member name of the object whose names start at {@code scope}; repeats fall back. */
    private void remember(int scope, String name) {
      if (top - scope >= MAX_TRACKED_NAMES) {
        throw FALLBACK;
      }
      for (int k = scope; k < top; k++) {
        if (names[k].equals(name)) {
          throw FALLBACK;
        }
      }
      if (top == names.length) {
        names = Arrays.copyOf(names, top * 2);
      }
      names[top++] = name;
    }

    /** Marks a member the count reads as seen; a repeat falls back. */
    private static boolean once(boolean seen) {
      if (seen) {
        throw FALLBACK;
      }
      return true;
    }
  }
}
