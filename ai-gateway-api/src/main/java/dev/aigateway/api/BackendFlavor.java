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
  BEDROCK,
  /**
   * Azure AI Foundry model inference: {@code {endpoint}/models/{operation}?api-version=...} (an
   * endpoint already ending in {@code /models}, as the Foundry portal shows it, is used as is), the
   * model (deployment) name in the body's {@code model}, API keys in the {@code api-key} header.
   */
  AZURE_AI_INFERENCE,
  /**
   * The Google Gemini API: {@code {base}/v1beta/models/{model}:generateContent} (or {@code
   * :streamGenerateContent}), the model in the path, API keys in the {@code x-goog-api-key} header.
   * OpenAI-shaped calls go to its OpenAI compatibility layer, {@code {base}/v1beta/openai/...}.
   */
  GEMINI,
  /**
   * Google Vertex AI, with a base URL naming project and location ({@code
   * https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}}):
   * {@code {base}/publishers/google/models/{model}:generateContent}, the model in the path, the
   * credential (an OAuth access token) as {@code Authorization: Bearer}. OpenAI-shaped calls go to
   * {@code {base}/endpoints/openapi/...}.
   */
  VERTEX_AI,
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
   * {@code openai} for OpenAI and OpenAI-compatible servers, {@code azure.ai.openai} for Azure
   * OpenAI, {@code azure.ai.inference} for Azure AI Foundry, {@code gcp.gemini} and {@code
   * gcp.vertex_ai} for Google's, {@code aws.bedrock} for Amazon Bedrock, {@code anthropic} for
   * Anthropic.
   */
  public String providerName() {
    return switch (this) {
      case OPENAI, OPENAI_COMPATIBLE -> "openai";
      case AZURE_OPENAI, AZURE_OPENAI_V1 -> "azure.ai.openai";
      case AZURE_AI_INFERENCE -> "azure.ai.inference";
      case GEMINI -> "gcp.gemini";
      case VERTEX_AI -> "gcp.vertex_ai";
      case BEDROCK -> "aws.bedrock";
      case ANTHROPIC -> "anthropic";
    };
  }

  /** Whether the flavour sends API keys in Azure's {@code api-key} header. */
  public boolean usesApiKeyHeader() {
    return this == AZURE_OPENAI || this == AZURE_OPENAI_V1 || this == AZURE_AI_INFERENCE;
  }

  /**
   * The header an API key goes in: {@code api-key} (Azure), {@code x-goog-api-key} (Gemini API),
   * {@code x-api-key} (Anthropic); null when it goes as {@code Authorization: Bearer}.
   */
  public @org.jspecify.annotations.Nullable String apiKeyHeader() {
    if (usesApiKeyHeader()) {
      return "api-key";
    }
    return switch (this) {
      case GEMINI -> "x-goog-api-key";
      case ANTHROPIC -> "x-api-key";
      default -> null;
    };
  }
}
