package dev.aigateway.mcp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * The answer to one of a model's tool calls, as the follow-up chat message OpenAI's Chat
 * Completions API expects ({@code role: tool}).
 *
 * @param toolCallId the id of the model's tool call this answers
 * @param name the tool that ran
 * @param content the tool's result text
 * @param isError whether the call failed (the content says how)
 */
public record ToolMessage(String toolCallId, String name, String content, boolean isError) {

  /** Checks that nothing is null. */
  public ToolMessage {
    Objects.requireNonNull(toolCallId, "toolCallId");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(content, "content");
  }

  /** The message as JSON: {@code {"role":"tool","tool_call_id":…,"content":…}}. */
  public String toJson() {
    ObjectNode message = JsonNodeFactory.instance.objectNode();
    message.put("role", "tool");
    message.put("tool_call_id", toolCallId);
    message.put("content", content);
    return message.toString();
  }
}
