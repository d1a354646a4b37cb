package dev.aigateway.api;

/**
 * How a call is rewritten for a backend: the URL shape, where the model goes, and which header
 * carries an API key.
 */
public enum BackendFlavor {
  /**
   * OpenAI: {@code {base}/v1/{operation}} (a base URL already ending in {@code /v1} is used as is),
   * the backend's model name in the body's {@code model}, API keys as {@code Authorization:
   * Bearer}.
   */
  OPENAI,
  /**
   * Any OpenAI-compatible server (vLLM, Ollama, LiteLLM, …): rewritten exactly as {@link #OPENAI}.
   */
  OPENAI_COMPATIBLE,
  /**
   * Azure OpenAI, deployment form: {@code {endpoint}/openai/deployments/{deployment}/{operation}
   * ?api-version=...}, the deployment in the path, API keys in the {@code api-key} header.
   */
  AZURE_OPENAI,
  /**
   * Azure OpenAI v1 form: {@code {endpoint}/openai/v1/{operation}}, the deployment name in the
   * body's {@code model}, API keys in the {@code api-key} header.
   */
  AZURE_OPENAI_V1,
  /**
   * Anthropic: {@code {base}/v1/messages} (a base URL already ending in {@code /v1} is used as is),
   * the backend's model name in the body's {@code model}, API keys in the {@code x-api-key} header,
   * and the backend's API version, when it has one, in the {@code anthropic-version} header (else
   * the application's header goes through). OpenAI calls sent to such a backend go to its
   * OpenAI-compatible {@code {base}/v1/chat/completions}.
   */
  ANTHROPIC;

  /**
   * The provider's name in the OpenTelemetry GenAI conventions ({@code gen_ai.provider.name}):
   * {@code openai} for OpenAI and OpenAI-compatible servers, {@code azure.ai.openai} for Azure,
   * {@code anthropic} for Anthropic.
   */
  public String providerName() {
    if (this == ANTHROPIC) {
      return "anthropic";
    }
    return usesApiKeyHeader() ? "azure.ai.openai" : "openai";
  }

  /** Whether the flavour sends API keys in Azure's {@code api-key} header. */
  public boolean usesApiKeyHeader() {
    return this == AZURE_OPENAI || this == AZURE_OPENAI_V1;
  }
}
