package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Gemini's and Bedrock Converse's request bodies in the shape the semantic cache reads ({@link
 * WireFormat#semanticBody}): OpenAI's chat {@code messages}, each a {@code role} and its text parts
 * as {@code {"type":"text","text":...}} (so that the parts' split stays part of what two calls must
 * share), every other member of the body kept as it is. Only text conversations are given a view: a
 * turn with an image, a file, a function call or response, a tool use or result, reasoning, a cache
 * point, or any member besides a role and its parts makes the call one the semantic cache leaves to
 * exact caching.
 */
final class SemanticBodies {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Set<String> GEMINI_TURN = Set.of("role", "parts");
  private static final Set<String> CONVERSE_TURN = Set.of("role", "content");
  private static final Set<String> TEXT_ONLY = Set.of("text");

  private SemanticBodies() {}

  /**
   * A Gemini {@code generateContent} body's view: {@code contents} become {@code messages} (role
   * {@code user}, or {@code model} as {@code assistant}; a turn without a role is the user's, as
   * Gemini reads it); null when a turn is not text.
   */
  static @Nullable ObjectNode gemini(@Nullable ObjectNode body) {
    if (body == null || body.has("messages")) {
      return null;
    }
    JsonNode contents = body.get("contents");
    if (contents == null || !contents.isArray() || contents.isEmpty()) {
      return null;
    }
    ArrayNode messages = NODES.arrayNode();
    for (JsonNode turn : contents) {
      if (!onlyMembers(turn, GEMINI_TURN)) {
        return null;
      }
      JsonNode role = turn.get("role");
      String openAiRole =
          role == null
              ? "user"
              : "user".equals(role.textValue())
                  ? "user"
                  : "model".equals(role.textValue()) ? "assistant" : null;
      ArrayNode parts = textParts(turn.get("parts"));
      if (openAiRole == null || parts == null) {
        return null;
      }
      messages.add(NODES.objectNode().put("role", openAiRole).set("content", parts));
    }
    return viewWith(body, "contents", messages);
  }

  /**
   * A Converse body's view: its {@code messages} with their content blocks as text parts; null when
   * a block is not text ({@code system} stays in the context as it is).
   */
  static @Nullable ObjectNode converse(@Nullable ObjectNode body) {
    if (body == null) {
      return null;
    }
    JsonNode turns = body.get("messages");
    if (turns == null || !turns.isArray() || turns.isEmpty()) {
      return null;
    }
    ArrayNode messages = NODES.arrayNode();
    for (JsonNode turn : turns) {
      if (!onlyMembers(turn, CONVERSE_TURN)) {
        return null;
      }
      String role = turn.path("role").textValue();
      ArrayNode parts = textParts(turn.get("content"));
      if (!("user".equals(role) || "assistant".equals(role)) || parts == null) {
        return null;
      }
      messages.add(NODES.objectNode().put("role", role).set("content", parts));
    }
    return viewWith(body, "messages", messages);
  }

  /** Text blocks ({@code {"text":"..."}} and nothing else) as OpenAI text parts; null otherwise. */
  private static @Nullable ArrayNode textParts(@Nullable JsonNode blocks) {
    if (blocks == null || !blocks.isArray() || blocks.isEmpty()) {
      return null;
    }
    ArrayNode parts = NODES.arrayNode();
    for (JsonNode block : blocks) {
      if (!onlyMembers(block, TEXT_ONLY) || !block.path("text").isTextual()) {
        return null;
      }
      parts.add(NODES.objectNode().put("type", "text").put("text", block.get("text").textValue()));
    }
    return parts;
  }

  /** Whether {@code node} is an object with no member outside {@code allowed}. */
  private static boolean onlyMembers(JsonNode node, Set<String> allowed) {
    if (!node.isObject()) {
      return false;
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      if (!allowed.contains(names.next())) {
        return false;
      }
    }
    return true;
  }

  /** A copy of {@code body} with {@code replaced} taken out and the messages set. */
  private static ObjectNode viewWith(ObjectNode body, String replaced, ArrayNode messages) {
    ObjectNode view = body.deepCopy();
    view.remove(replaced);
    view.set("messages", messages);
    return view;
  }
}
