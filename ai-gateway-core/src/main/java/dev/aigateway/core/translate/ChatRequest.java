package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.wire.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * An OpenAI chat completions request read into what every target protocol needs, checked against
 * what the target can express: a field or value it cannot is refused ({@link
 * TranslationRefusedException}) rather than silently lost. System and developer messages are lifted
 * out of the conversation (every target takes them apart); consecutive turns of one role are merged
 * (the targets require user and assistant turns to alternate); tool results are user turns.
 */
final class ChatRequest {

  /** Fields every target translates. */
  private static final Set<String> TRANSLATED =
      Set.of(
          "model",
          "messages",
          "stream",
          "stream_options",
          "temperature",
          "top_p",
          "max_tokens",
          "max_completion_tokens",
          "stop",
          "tools",
          "tool_choice",
          "n",
          "user",
          "parallel_tool_calls",
          "presence_penalty",
          "frequency_penalty",
          "seed",
          "response_format",
          "logprobs");

  /**
   * Fields dropped because they change nothing in the answer: OpenAI's own storage, metadata and
   * caching hints, and abuse-tracking identifiers.
   */
  static final Set<String> DROPPED =
      Set.of("store", "metadata", "prompt_cache_key", "safety_identifier", "service_tier");

  /**
   * Reads the request, and the JSON inside it (tool call arguments, tool results), into trees whose
   * numbers are the numbers as written: a fraction is kept as a {@link java.math.BigDecimal}, its
   * digits and trailing zeros too, so that an amount such as {@code 12345678901234567890.25} in a
   * tool call's arguments reaches the backend as it is, not rounded to the nearest double.
   */
  static final ObjectReader EXACT =
      Json.MAPPER
          .reader()
          .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);

  /** A part of a turn. */
  sealed interface Part permits Text, Image, ToolCall, ToolResult {}

  /** Text. */
  record Text(String text) implements Part {}

  /** An image: base64 {@code data} of {@code mediaType} (a data URL), or an http(s) {@code url}. */
  record Image(@Nullable String mediaType, @Nullable String data, @Nullable String url)
      implements Part {}

  /** A tool call the assistant made: its id, function name and arguments (a JSON value). */
  record ToolCall(String id, String name, JsonNode arguments, @Nullable String thoughtSignature)
      implements Part {}

  /** The result of a tool call: the call's id, its function's name, the result's text. */
  record ToolResult(String callId, String name, String content) implements Part {}

  /** One turn of the conversation: {@code user} or {@code assistant}, and its parts. */
  record Turn(String role, List<Part> parts) {}

  /** A function tool: its name, description (or null) and JSON schema of its parameters. */
  record Tool(String name, @Nullable String description, JsonNode parameters) {

    /**
     * Puts the tool's {@code name} and {@code description} (when it has one); returns {@code into}.
     */
    ObjectNode describe(ObjectNode into) {
      into.put("name", name);
      if (description != null) {
        into.put("description", description);
      }
      return into;
    }
  }

  final String model;
  final List<String> system = new ArrayList<>();
  final List<Turn> turns = new ArrayList<>();
  final List<Tool> tools = new ArrayList<>();

  /** {@code auto}, {@code none}, {@code required}, {@code function} (then {@link #toolName}). */
  @Nullable String toolChoice;

  @Nullable String toolName;
  boolean serialToolCalls;
  @Nullable Double temperature;
  @Nullable Double topP;
  @Nullable Long maxTokens;
  @Nullable Double presencePenalty;
  @Nullable Double frequencyPenalty;
  @Nullable Long seed;
  boolean jsonObject;
  final List<String> stop = new ArrayList<>();
  boolean stream;
  boolean includeUsage;
  @Nullable String user;

  private ChatRequest(String model) {
    this.model = model;
  }

  /**
   * Puts the turns as the target's messages, in order: each an object with its {@code role} (the
   * target's name for it) and an array {@code partsName} that {@code part} writes each part to.
   */
  void putTurns(
      ArrayNode into,
      UnaryOperator<String> role,
      String partsName,
      BiConsumer<ArrayNode, Part> part) {
    for (Turn turn : turns) {
      ObjectNode message = into.addObject();
      message.put("role", role.apply(turn.role()));
      ArrayNode parts = message.putArray(partsName);
      for (Part p : turn.parts()) {
        part.accept(parts, p);
      }
    }
  }

  /**
   * Puts the sampling options every target takes, each when the request sets it, under the target's
   * names: the output allowance ({@code maxTokens}; null to leave it to the caller), the
   * temperature, top-p and the stop sequences.
   */
  void putSampling(
      ObjectNode into, @Nullable String maxTokensName, String topPName, String stopName) {
    if (maxTokensName != null && maxTokens != null) {
      into.put(maxTokensName, maxTokens);
    }
    if (temperature != null) {
      into.put("temperature", temperature);
    }
    if (topP != null) {
      into.put(topPName, topP);
    }
    if (!stop.isEmpty()) {
      ArrayNode sequences = into.putArray(stopName);
      stop.forEach(sequences::add);
    }
  }

  /** The longest tool use id Bedrock Converse takes. */
  static final int MAX_TOOL_USE_ID = 64;

  /**
   * A tool call's id as Anthropic ({@code tool_use.id}, {@code tool_use_id}) and Bedrock Converse
   * ({@code toolUseId}) take it: letters, digits, {@code _} and {@code -}, at most {@link
   * #MAX_TOOL_USE_ID}. An id that is one already goes out as it is; another (an OpenAI-compatible
   * server's {@code functions.get_weather:0}) goes out with every other character as {@code _},
   * followed by a hash of the whole id, so that a call and its result, written with the same id,
   * still match, and distinct calls stay distinct.
   */
  static String toolUseId(String id) {
    boolean taken = !id.isEmpty() && id.length() <= MAX_TOOL_USE_ID;
    for (int i = 0; taken && i < id.length(); i++) {
      taken = idChar(id.charAt(i));
    }
    if (taken) {
      return id;
    }
    long hash = 0xcbf29ce484222325L; // FNV-1a, 64 bits: stable across runs and JVMs
    for (int i = 0; i < id.length(); i++) {
      hash = (hash ^ id.charAt(i)) * 0x100000001b3L;
    }
    String suffix = "_" + Long.toHexString(hash);
    int keep = Math.min(id.length(), MAX_TOOL_USE_ID - suffix.length());
    StringBuilder wire = new StringBuilder(keep + suffix.length());
    for (int i = 0; i < keep; i++) {
      char c = id.charAt(i);
      wire.append(idChar(c) ? c : '_');
    }
    return wire.append(suffix).toString();
  }

  private static boolean idChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '-';
  }

  /** The JSON {@code text} as a tree, numbers as written ({@link #EXACT}); null when not JSON. */
  static @Nullable JsonNode exactTreeOrNull(String text) {
    try {
      return EXACT.readTree(text);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Parses an OpenAI chat request body. */
  static ChatRequest parse(byte[] body, Target target) {
    JsonNode tree;
    try {
      tree = EXACT.readTree(body);
    } catch (IOException e) {
      throw new TranslationRefusedException(
          "body", "The request body is not JSON, so it cannot be translated for " + target.label);
    }
    if (!(tree instanceof ObjectNode object)) {
      throw new TranslationRefusedException(
          "body",
          "The request body is not a JSON object, so it cannot be translated for " + target.label);
    }
    return read(object, target);
  }

  /** Reads an already parsed OpenAI chat request body. */
  static ChatRequest read(ObjectNode body, Target target) {
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!TRANSLATED.contains(name) && !DROPPED.contains(name)) {
        throw refused(name, "is not supported by " + target.label + " backends");
      }
    }
    JsonNode modelNode = body.get("model");
    ChatRequest r =
        new ChatRequest(modelNode != null && modelNode.isTextual() ? modelNode.asText() : "");
    r.readOptions(body, target);
    r.readTools(body, target);
    r.readMessages(body, target);
    return r;
  }

  private void readOptions(ObjectNode body, Target target) {
    JsonNode n = option(body, "n");
    if (present(n) && !(n.canConvertToExactIntegral() && n.canConvertToLong() && n.asLong() == 1)) {
      throw refused("n", "must be 1: " + target.label + " backends give one choice per call");
    }
    JsonNode logprobs = body.get("logprobs");
    if (present(logprobs) && !(logprobs.isBoolean() && !logprobs.asBoolean())) {
      throw refused("logprobs", "is not supported by " + target.label + " backends");
    }
    stream = body.path("stream").asBoolean(false);
    includeUsage = stream && body.path("stream_options").path("include_usage").asBoolean(false);
    temperature = number(body, "temperature");
    if (temperature != null && temperature > target.maxTemperature) {
      // sent as it is, it would be the backend's 400 (after a failover that should not go there)
      throw refused(
          "temperature",
          "must be from 0 to "
              + (int) target.maxTemperature
              + " for "
              + target.label
              + " backends, whose range ends there");
    }
    topP = number(body, "top_p");
    Long max = whole(body, "max_completion_tokens");
    maxTokens = max != null ? max : whole(body, "max_tokens");
    presencePenalty = number(body, "presence_penalty");
    frequencyPenalty = number(body, "frequency_penalty");
    JsonNode seedNode = option(body, "seed");
    if (present(seedNode)) {
      if (!seedNode.canConvertToExactIntegral() || !seedNode.canConvertToLong()) {
        throw refused("seed", "must be an integer");
      }
      seed = seedNode.asLong();
      if (target.penaltiesAndSeed && (seed < Integer.MIN_VALUE || seed > Integer.MAX_VALUE)) {
        // Gemini's seed is a 32-bit integer: a larger one would be its 400, not a seed
        throw refused(
            "seed",
            "must fit a 32-bit integer for " + target.label + " backends, whose seed is one");
      }
    }
    if (!target.penaltiesAndSeed) {
      refuseNonZero("presence_penalty", presencePenalty, target);
      refuseNonZero("frequency_penalty", frequencyPenalty, target);
      if (seed != null) {
        throw refused("seed", "is not supported by " + target.label + " backends");
      }
    }
    JsonNode format = body.get("response_format");
    if (present(format)) {
      String type = format.path("type").asText("");
      if (type.equals("json_object") && target.jsonObject) {
        jsonObject = true;
      } else if (!type.equals("text")) {
        throw refused(
            "response_format",
            "of type '"
                + type
                + "' is not supported by "
                + target.label
                + " backends"
                + (target.jsonObject ? " (json_object and text are)" : " (only text is)"));
      }
    }
    JsonNode stopNode = body.get("stop");
    if (present(stopNode)) {
      if (stopNode.isTextual()) {
        addStop(stopNode.asText(), "stop", target);
      } else if (stopNode.isArray()) {
        for (int i = 0; i < stopNode.size(); i++) {
          if (!stopNode.get(i).isTextual()) {
            throw refused("stop[" + i + "]", "must be a string");
          }
          addStop(stopNode.get(i).asText(), "stop[" + i + "]", target);
        }
      } else {
        throw refused("stop", "must be a string or an array of strings");
      }
    }
    JsonNode userNode = body.get("user");
    user = userNode != null && userNode.isTextual() ? userNode.asText() : null;
    JsonNode parallel = body.get("parallel_tool_calls");
    serialToolCalls = parallel != null && parallel.isBoolean() && !parallel.asBoolean();
    if (serialToolCalls && !target.serialToolCalls) {
      throw refused(
          "parallel_tool_calls", "false is not supported by " + target.label + " backends");
    }
  }

  /**
   * Adds a stop sequence: an empty one stops nothing and is left out (the targets refuse it); one
   * of nothing but white space ({@code "\n"}, common with OpenAI) is refused for a target that
   * refuses it, since leaving it out would let the answer run on where it was asked to stop.
   */
  private void addStop(String sequence, String param, Target target) {
    if (sequence.isEmpty()) {
      return;
    }
    if (sequence.isBlank() && !target.whitespaceStops) {
      throw refused(
          param,
          "holds nothing but white space, which "
              + target.label
              + " backends do not take as a stop sequence");
    }
    stop.add(sequence);
  }

  private void readTools(ObjectNode body, Target target) {
    JsonNode toolsNode = body.get("tools");
    if (present(toolsNode)) {
      if (!toolsNode.isArray()) {
        throw refused("tools", "must be an array");
      }
      for (int i = 0; i < toolsNode.size(); i++) {
        JsonNode tool = toolsNode.get(i);
        if (!"function".equals(tool.path("type").asText())) {
          throw refused(
              "tools[" + i + "].type",
              "'"
                  + tool.path("type").asText()
                  + "' is not supported by "
                  + target.label
                  + " backends (only function tools are)");
        }
        JsonNode function = tool.path("function");
        String name = function.path("name").asText("");
        if (name.isEmpty()) {
          throw refused("tools[" + i + "].function.name", "is missing");
        }
        JsonNode description = function.get("description");
        JsonNode parameters = function.get("parameters");
        tools.add(
            new Tool(
                name,
                description != null && description.isTextual() && !description.asText().isEmpty()
                    ? description.asText()
                    : null,
                parameters != null && parameters.isObject()
                    ? parameters
                    : Json.MAPPER.createObjectNode().put("type", "object")));
      }
    }
    JsonNode choice = body.get("tool_choice");
    if (present(choice)) {
      if (choice.isTextual()) {
        toolChoice = choice.asText();
        if (!Set.of("auto", "none", "required").contains(toolChoice)) {
          throw refused("tool_choice", "'" + toolChoice + "' is not a tool choice");
        }
      } else if ("function".equals(choice.path("type").asText())
          && choice.path("function").path("name").isTextual()) {
        toolChoice = "function";
        toolName = choice.path("function").path("name").asText();
      } else {
        throw refused(
            "tool_choice",
            "is not supported by "
                + target.label
                + " backends (auto, none, required or a function are)");
      }
      if (toolChoice.equals("none") && !target.toolChoiceNone) {
        throw refused("tool_choice", "'none' is not supported by " + target.label + " backends");
      }
    }
  }

  private void readMessages(ObjectNode body, Target target) {
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw refused("messages", "must be a non-empty array");
    }
    Map<String, String> toolNames = new HashMap<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      String at = "messages[" + i + "]";
      String role = message.path("role").asText("");
      switch (role) {
        case "system", "developer" -> {
          String text = text(message.get("content"), at + ".content");
          if (carries(text, target)) {
            system.add(text);
          }
        }
        case "user" -> add("user", parts(message.get("content"), at + ".content", target));
        case "assistant" -> {
          List<Part> parts = new ArrayList<>();
          JsonNode content = message.get("content");
          if (present(content)) {
            parts.addAll(parts(content, at + ".content", target));
          }
          if (present(message.get("audio"))) {
            throw refused(at + ".audio", "is not supported by " + target.label + " backends");
          }
          JsonNode calls = message.get("tool_calls");
          if (present(calls) && !calls.isArray()) {
            throw refused(at + ".tool_calls", "must be an array");
          }
          if (present(calls)) {
            for (int j = 0; j < calls.size(); j++) {
              JsonNode call = calls.get(j);
              String where = at + ".tool_calls[" + j + "]";
              String id = call.path("id").asText("");
              String name = call.path("function").path("name").asText("");
              if (id.isEmpty() || name.isEmpty()) {
                throw refused(where, "needs an id and a function name");
              }
              JsonNode signature =
                  call.path("extra_content").path("google").get("thought_signature");
              parts.add(
                  new ToolCall(
                      id,
                      name,
                      arguments(call.path("function"), where),
                      signature != null && signature.isTextual() ? signature.textValue() : null));
              toolNames.put(id, name);
            }
          }
          add("assistant", parts);
        }
        case "tool" -> {
          String id = message.path("tool_call_id").asText("");
          String name = toolNames.get(id);
          if (name == null) {
            throw refused(
                at + ".tool_call_id",
                "'" + id + "' answers no tool call of an earlier assistant message");
          }
          add(
              "user",
              List.of(new ToolResult(id, name, text(message.get("content"), at + ".content"))));
        }
        default ->
            throw refused(
                at + ".role", "'" + role + "' is not supported by " + target.label + " backends");
      }
    }
    if (turns.isEmpty()) {
      throw refused("messages", "holds no user or assistant message");
    }
  }

  /** Appends parts as a turn of {@code role}, merged into the last turn when it has that role. */
  private void add(String role, List<Part> parts) {
    if (parts.isEmpty()) {
      return;
    }
    Turn last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
    if (last != null && last.role().equals(role)) {
      last.parts().addAll(parts);
    } else {
      turns.add(new Turn(role, new ArrayList<>(parts)));
    }
  }

  private static JsonNode arguments(JsonNode function, String where) {
    JsonNode arguments = function.get("arguments");
    if (arguments == null || arguments.isNull()) {
      return Json.MAPPER.createObjectNode();
    }
    if (!arguments.isTextual()) {
      throw refused(where + ".function.arguments", "must be a string of JSON");
    }
    String text = arguments.asText();
    if (text.isBlank()) {
      return Json.MAPPER.createObjectNode();
    }
    try {
      JsonNode parsed = EXACT.readTree(text);
      if (parsed == null || !parsed.isObject()) {
        throw refused(where + ".function.arguments", "must be a JSON object");
      }
      return parsed;
    } catch (IOException e) {
      throw refused(where + ".function.arguments", "is not valid JSON");
    }
  }

  /** A content that must be text: a string, or text parts (joined). */
  private static String text(@Nullable JsonNode content, String where) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (!content.isArray()) {
      throw refused(where, "must be a string or an array of text parts");
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < content.size(); i++) {
      JsonNode part = content.get(i);
      if (!"text".equals(part.path("type").asText())) {
        throw refused(where + "[" + i + "].type", "must be text here");
      }
      if (!text.isEmpty()) {
        text.append('\n');
      }
      text.append(part.path("text").asText(""));
    }
    return text.toString();
  }

  private static List<Part> parts(@Nullable JsonNode content, String where, Target target) {
    List<Part> parts = new ArrayList<>();
    if (content == null || content.isNull()) {
      return parts;
    }
    if (content.isTextual()) {
      addText(parts, content.asText(), target);
      return parts;
    }
    if (!content.isArray()) {
      throw refused(where, "must be a string or an array of content parts");
    }
    for (int i = 0; i < content.size(); i++) {
      JsonNode part = content.get(i);
      String at = where + "[" + i + "]";
      String type = part.path("type").asText("");
      switch (type) {
        case "text" -> addText(parts, part.path("text").asText(""), target);
        case "refusal" -> addText(parts, part.path("refusal").asText(""), target);
        case "image_url" ->
            parts.add(image(part.path("image_url").path("url").asText(""), at, target));
        default ->
            throw refused(
                at + ".type",
                "'"
                    + type
                    + "' is not supported by "
                    + target.label
                    + " backends (text and image_url are)");
      }
    }
    return parts;
  }

  /**
   * Adds a text part unless it carries nothing the target takes ({@link #carries}): no target takes
   * an empty text block, and a turn of nothing but such text would go out without content, which
   * every target refuses.
   */
  private static void addText(List<Part> parts, String text, Target target) {
    if (carries(text, target)) {
      parts.add(new Text(text));
    }
  }

  /**
   * Whether {@code text} goes out as a text block: not when it is empty, nor, for a target that
   * refuses such blocks ({@link Target#blankText}), when it is nothing but white space (an
   * assistant's {@code "\n\n"} before its tool calls), which says nothing to the model.
   */
  private static boolean carries(String text, Target target) {
    return !text.isEmpty() && (target.blankText || !text.isBlank());
  }

  private static Image image(String url, String at, Target target) {
    if (url.startsWith("data:")) {
      int comma = url.indexOf(',');
      int base64 = url.lastIndexOf(";base64", comma);
      if (comma < 0 || base64 < 0) {
        throw refused(
            at + ".image_url.url", "must be a base64 data URL (data:image/png;base64,...)");
      }
      String data = url.substring(comma + 1);
      try {
        Base64.getDecoder().decode(data);
      } catch (IllegalArgumentException e) {
        throw refused(at + ".image_url.url", "holds invalid base64 data");
      }
      return new Image(mediaType(url.substring(5, base64)), data, null);
    }
    if (url.startsWith("https://") || url.startsWith("http://")) {
      if (!target.imageUrls) {
        throw refused(
            at + ".image_url.url",
            "must be a data URL for "
                + target.label
                + " backends, which do not fetch images by URL: send the image as data:<type>;base64,...");
      }
      return new Image(null, null, url);
    }
    throw refused(at + ".image_url.url", "must be an http(s) or data URL");
  }

  /**
   * A data URL's media type as the targets name it: lower case (media types are case-insensitive),
   * and {@code image/jpg}, which OpenAI takes, as {@code image/jpeg}, the only name Anthropic,
   * Bedrock and Gemini know for it.
   */
  private static String mediaType(String type) {
    String lower = type.toLowerCase(java.util.Locale.ROOT);
    return lower.equals("image/jpg") ? "image/jpeg" : lower;
  }

  private static boolean present(@Nullable JsonNode node) {
    return node != null && !node.isNull();
  }

  private static @Nullable Double number(ObjectNode body, String field) {
    JsonNode node = body.get(field);
    if (!present(node)) {
      return null;
    }
    if (!node.isNumber()) {
      throw refused(field, "must be a number");
    }
    return node.asDouble();
  }

  /**
   * A top-level option as the admission check reads it on the gateway's own tree, whose fractions
   * are doubles: a fraction of {@link #EXACT}'s tree is read as the double it rounds to, so that a
   * value the check let through ({@code n: 1.0000000000000000001}, a double's 1.0) is not refused
   * when the attempt is translated.
   */
  private static @Nullable JsonNode option(ObjectNode body, String field) {
    JsonNode node = body.get(field);
    return node != null && node.isBigDecimal() ? DoubleNode.valueOf(node.doubleValue()) : node;
  }

  private static @Nullable Long whole(ObjectNode body, String field) {
    JsonNode node = option(body, field);
    if (!present(node)) {
      return null;
    }
    if (!node.canConvertToExactIntegral() || !node.canConvertToLong() || node.asLong() < 1) {
      throw refused(field, "must be a positive integer");
    }
    return node.asLong();
  }

  private static void refuseNonZero(String field, @Nullable Double value, Target target) {
    if (value != null && value != 0) {
      throw refused(field, "is not supported by " + target.label + " backends");
    }
  }

  static TranslationRefusedException refused(String param, String problem) {
    return new TranslationRefusedException(
        param,
        "'"
            + param
            + "' "
            + problem
            + ". The gateway translates this call for a backend of another provider and refuses what"
            + " it cannot translate faithfully (docs/providers.md, \"One API in front of many"
            + " providers\").");
  }
}
