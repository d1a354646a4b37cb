package dev.aigateway.core.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.Operation;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the semantic cache embeds of a request, and what must match exactly instead.
 *
 * <p>The embedded text is the last N conversation messages (chat {@code messages}, Responses API
 * {@code input} items), the {@code prompt} of a text completion, or a string {@code input}. The
 * <em>context</em> is everything else of the body: the other messages (system messages too, when
 * they are left out of the text), the embedded messages' members but their text (role, name),
 * model, sampling parameters, tools, response format. Two calls can share an answer only when their
 * contexts are identical.
 *
 * @param text the text to embed
 * @param context the body without the embedded parts, for the partition digest
 */
record SemanticPrompt(String text, ObjectNode context) {

  private static final Set<String> SYSTEM_ROLES = Set.of("system", "developer");
  private static final Set<String> TEXT_PART_TYPES = Set.of("text", "input_text", "output_text");
  private static final Set<String> PLAIN_MESSAGE_FIELDS = Set.of("role", "content", "name", "type");

  /**
   * The prompt of {@code body}, or null when the call is not for the semantic cache: an operation
   * without a prompt (embeddings), non-text content or tool traffic in the embedded messages, an
   * empty text, or more than {@code maxMessages} messages.
   */
  public static @Nullable SemanticPrompt of(
      Operation operation,
      ObjectNode body,
      int lastMessages,
      int maxMessages,
      boolean ignoreSystemMessages,
      Set<String> ignoredFields) {
    if (body == null) {
      return null;
    }
    return switch (operation) {
      case CHAT_COMPLETIONS, MESSAGES, GENERATE_CONTENT -> // formats' views hold messages
          conversation(
              body, "messages", lastMessages, maxMessages, ignoreSystemMessages, ignoredFields);
      case RESPONSES ->
          body.path("input").isTextual()
              ? single(body, "input", body.get("input").textValue(), ignoredFields)
              : conversation(
                  body, "input", lastMessages, maxMessages, ignoreSystemMessages, ignoredFields);
      case COMPLETIONS -> {
        JsonNode prompt = body.get("prompt");
        if (prompt != null && prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
          prompt = prompt.get(0);
        }
        yield prompt != null && prompt.isTextual()
            ? single(body, "prompt", prompt.textValue(), ignoredFields)
            : null;
      }
      case EMBEDDINGS, EXECUTE_TOOL, INVOKE_AGENT -> null;
    };
  }

  private static SemanticPrompt single(
      ObjectNode body, String field, String text, Set<String> ignoredFields) {
    if (text.isBlank()) {
      return null;
    }
    ObjectNode context = withoutFields(body, ignoredFields);
    context.remove(field);
    return new SemanticPrompt(text, context);
  }

  private static SemanticPrompt conversation(
      ObjectNode body,
      String field,
      int lastMessages,
      int maxMessages,
      boolean ignoreSystemMessages,
      Set<String> ignoredFields) {
    JsonNode messages = body.get(field);
    if (messages == null
        || !messages.isArray()
        || messages.isEmpty()
        || messages.size() > maxMessages) {
      return null;
    }
    List<Integer> embedded = new ArrayList<>(lastMessages);
    for (int i = messages.size() - 1; i >= 0 && embedded.size() < lastMessages; i--) {
      JsonNode message = messages.get(i);
      if (ignoreSystemMessages && SYSTEM_ROLES.contains(message.path("role").asText())) {
        continue;
      }
      embedded.add(0, i);
    }
    if (embedded.isEmpty()) {
      return null;
    }
    StringBuilder text = new StringBuilder();
    for (int index : embedded) {
      String content = plainText(messages.get(index));
      if (content == null) {
        return null;
      }
      if (text.length() > 0) {
        text.append('\n');
      }
      if (embedded.size() > 1) {
        text.append(messages.get(index).path("role").asText("user")).append(": ");
      }
      text.append(content);
    }
    if (text.toString().isBlank()) {
      return null;
    }
    ObjectNode context = withoutFields(body, ignoredFields);
    ArrayNode rest = JsonNodeFactory.instance.arrayNode();
    // What the embedded messages say besides their text (their role, a participant's name) is not
    // embedded: it must match exactly, as the rest of the body does.
    ArrayNode embeddedWithoutText = JsonNodeFactory.instance.arrayNode();
    for (int i = 0; i < messages.size(); i++) {
      if (!embedded.contains(i)) {
        rest.add(messages.get(i));
      } else {
        ObjectNode withoutText = ((ObjectNode) messages.get(i)).deepCopy();
        withoutText.remove("content");
        embeddedWithoutText.add(withoutText);
      }
    }
    context.set(field, rest);
    context.put("ai-gateway.embedded-messages", embedded.size());
    context.set("ai-gateway.embedded-message-fields", embeddedWithoutText);
    return new SemanticPrompt(text.toString(), context);
  }

  /** A message's text; null when it carries anything but text (images, tool calls, ...). */
  private static String plainText(JsonNode message) {
    for (Iterator<String> it = message.fieldNames(); it.hasNext(); ) {
      if (!PLAIN_MESSAGE_FIELDS.contains(it.next())) {
        return null;
      }
    }
    JsonNode type = message.get("type");
    if (type != null && !"message".equals(type.asText())) {
      return null;
    }
    JsonNode content = message.get("content");
    if (content == null) {
      return null;
    }
    if (content.isTextual()) {
      return content.textValue();
    }
    if (!content.isArray()) {
      return null;
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      if (!TEXT_PART_TYPES.contains(part.path("type").asText()) || !part.path("text").isTextual()) {
        return null;
      }
      if (text.length() > 0) {
        text.append('\n');
      }
      text.append(part.get("text").textValue());
    }
    return text.toString();
  }

  private static ObjectNode withoutFields(ObjectNode body, Set<String> ignoredFields) {
    ObjectNode copy = body.deepCopy();
    copy.remove(ignoredFields);
    return copy;
  }
}
