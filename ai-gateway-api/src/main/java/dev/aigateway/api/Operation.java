package dev.aigateway.api;

/**
 * The kind of LLM call the gateway recognised. Each value knows the name that the OpenTelemetry
 * GenAI conventions use for it ({@code gen_ai.operation.name}).
 */
public enum Operation {
  /** {@code POST /v1/chat/completions}: a list of messages in, a message out. */
  CHAT_COMPLETIONS("chat", "chat/completions"),
  /** {@code POST /v1/completions}: the legacy prompt-in, text-out API. */
  COMPLETIONS("text_completion", "completions"),
  /** {@code POST /v1/embeddings}: text in, vectors out; no completion tokens. */
  EMBEDDINGS("embeddings", "embeddings"),
  /** {@code POST /v1/responses}: the Responses API. */
  RESPONSES("responses", "responses"),
  /**
   * {@code POST /v1/messages}: Anthropic's Messages API, a system prompt and messages in, a message
   * out. The GenAI conventions name it {@code chat}, as they name chat completions.
   */
  MESSAGES("chat", "messages");

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
