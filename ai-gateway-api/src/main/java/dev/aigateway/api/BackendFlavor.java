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
   * Amazon Bedrock runtime: {@code {endpoint}/model/{modelId}/{operation}} (Converse,
   * ConverseStream, InvokeModel, InvokeModelWithResponseStream), the model ID URL-encoded in the
   * path; requests are authenticated by a signature ({@code Backend.Builder.signer}), not a
   * credential header.
   */
  BEDROCK;

  /**
   * The provider's name in the OpenTelemetry GenAI conventions ({@code gen_ai.provider.name}):
   * {@code openai} for OpenAI and OpenAI-compatible servers, {@code azure.ai.openai} for Azure,
   * {@code aws.bedrock} for Amazon Bedrock.
   */
  public String providerName() {
    if (this == BEDROCK) {
      return "aws.bedrock";
    }
    return usesApiKeyHeader() ? "azure.ai.openai" : "openai";
  }

  /** Whether the flavour sends API keys in Azure's {@code api-key} header. */
  public boolean usesApiKeyHeader() {
    return this == AZURE_OPENAI || this == AZURE_OPENAI_V1;
  }
}
