package dev.aigateway.api;

/**
 * The kind of LLM call the gateway recognised. Each value knows the name that the OpenTelemetry
 * GenAI conventions use for it ({@code gen_ai.operation.name}). Several operations may share a
 * convention name (chat completions, Anthropic's Messages and the Responses API are all {@code
 * chat}): code that tells operations apart compares the values, never their convention names.
 */
public enum Operation {
  /** {@code POST /v1/chat/completions}: a list of messages in, a message out. */
  CHAT_COMPLETIONS("chat", "chat/completions"),
  /** {@code POST /v1/completions}: the legacy prompt-in, text-out API. */
  COMPLETIONS("text_completion", "completions"),
  /** {@code POST /v1/embeddings}: text in, vectors out; no completion tokens. */
  EMBEDDINGS("embeddings", "embeddings"),
  /**
   * {@code POST /v1/responses}: the Responses API. The GenAI conventions name it {@code chat}, as
   * they name chat completions (their OpenAI attribute {@code openai.api.type} tells the two apart,
   * as this value does).
   */
  RESPONSES("chat", "responses"),
  /**
   * {@code POST /v1/messages}: Anthropic's Messages API, a system prompt and messages in, a message
   * out. The GenAI conventions name it {@code chat}, as they name chat completions.
   */
  MESSAGES("chat", "messages"),
  /**
   * {@code POST .../models/{model}:generateContent} (and {@code :streamGenerateContent}): Google's
   * Gemini API and Vertex AI, contents in, candidates out. The GenAI conventions name it {@code
   * generate_content}; its path suffix is {@code generateContent}, after the model's colon.
   */
  GENERATE_CONTENT("generate_content", "generateContent"),
  /**
   * A JSON-RPC request to a configured MCP server ({@code tools/call}, {@code tools/list}, {@code
   * initialize}, ...): not an LLM call; its event's {@link GatewayEvent#tool()} says which. The
   * GenAI conventions name it {@code execute_tool}; its path suffix is {@code tools/call}.
   */
  EXECUTE_TOOL("execute_tool", "tools/call"),
  /**
   * A JSON-RPC request to a configured A2A agent ({@code message/send}, {@code message/stream},
   * {@code tasks/get}, ...): not an LLM call; its event's {@link GatewayEvent#tool()} says which.
   * The GenAI conventions name it {@code invoke_agent}; its path suffix is {@code message/send}.
   */
  INVOKE_AGENT("invoke_agent", "message/send");

  private final String conventionName;
  private final String pathSuffix;

  Operation(String conventionName, String pathSuffix) {
    this.conventionName = conventionName;
    this.pathSuffix = pathSuffix;
  }

  /**
   * The operation's path after {@code /v1/} or a deployment, for example {@code chat/completions}
   * ({@code messages} for Anthropic's Messages API).
   */
  public String pathSuffix() {
    return pathSuffix;
  }

  /** The operation's name in the OpenTelemetry GenAI conventions, for example {@code chat}. */
  public String conventionName() {
    return conventionName;
  }
}
