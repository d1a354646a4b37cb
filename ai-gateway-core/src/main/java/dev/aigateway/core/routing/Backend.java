package dev.aigateway.core.routing;

import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.spi.CredentialProvider;
import dev.aigateway.api.spi.RequestSigner;
import dev.aigateway.core.wire.SafeUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One LLM endpoint: where calls go, how they are rewritten for it, which models it serves, and how
 * it ranks in its pool. Immutable.
 *
 * <pre>{@code
 * Backend ptu = Backend.azureOpenAi("ptu-east", "https://east.openai.azure.com", "2024-10-21")
 *     .model("gpt-4o", "gpt4o-ptu")                 // the app's model name -> this deployment
 *     .credential(Credentials.apiKey(eastKey))
 *     .priority(1)                                   // tier 1 gets traffic first
 *     .build();
 * Backend paygo = Backend.openAi("openai", "https://api.openai.com")
 *     .model("gpt-4o", "gpt-4o-2024-11-20")
 *     .credential(Credentials.apiKey(openAiKey))
 *     .priority(2)
 *     .build();
 * }</pre>
 *
 * <p>A backend with no model mapping serves every model under the name the application asked for. A
 * backend with no credential sends the application's own credential headers.
 */
public final class Backend {

  /** The weight of a backend unless set. */
  public static final int DEFAULT_WEIGHT = 1;

  /** The priority of a backend unless set; lower numbers are tried first. */
  public static final int DEFAULT_PRIORITY = 1;

  private final String id;
  private final String baseUrl;

  /** The base URL without its query (and fragment) and trailing slash: where paths are added. */
  private final String requestBaseUrl;

  /** The base URL's query, as written, or null when it has none. */
  private final @Nullable String baseQuery;

  private final String host;
  private final int port;
  private final BackendFlavor flavor;
  private final String apiVersion;
  private final Map<String, String> models;
  private final CredentialProvider credential;
  private final int weight;
  private final int priority;
  private final long tokensPerMinute;
  private final long requestsPerMinute;
  private final RequestSigner signer;
  private final int maxInFlight;

  private Backend(Builder b) {
    this.id = b.id;
    this.baseUrl = b.baseUrl;
    URI uri = URI.create(b.baseUrl); // validated by the builder
    int end = b.baseUrl.length();
    for (char c : new char[] {'?', '#'}) {
      int at = b.baseUrl.indexOf(c);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    String base = b.baseUrl.substring(0, end);
    this.requestBaseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.baseQuery =
        uri.getRawQuery() == null || uri.getRawQuery().isEmpty() ? null : uri.getRawQuery();
    this.host = uri.getHost();
    this.port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    this.flavor = b.flavor;
    this.apiVersion = b.apiVersion;
    this.models = Map.copyOf(b.models);
    this.credential = b.credential;
    this.weight = b.weight;
    this.priority = b.priority;
    this.tokensPerMinute = b.tokensPerMinute;
    this.requestsPerMinute = b.requestsPerMinute;
    this.signer = b.signer;
    this.maxInFlight = b.maxInFlight;
  }

  /** An OpenAI backend, for example {@code https://api.openai.com}. */
  public static Builder openAi(String id, String baseUrl) {
    return new Builder(id, baseUrl, BackendFlavor.OPENAI, null);
  }

  /** An OpenAI-compatible server, for example {@code http://localhost:11434} or {@code .../v1}. */
  public static Builder openAiCompatible(String id, String baseUrl) {
    return new Builder(id, baseUrl, BackendFlavor.OPENAI_COMPATIBLE, null);
  }

  /**
   * An Azure OpenAI resource in deployment form; map each model the application uses to a
   * deployment with {@link Builder#model}.
   */
  public static Builder azureOpenAi(String id, String endpoint, String apiVersion) {
    if (apiVersion == null || apiVersion.isBlank()) {
      throw new IllegalArgumentException(
          "Azure OpenAI backend '"
              + id
              + "' needs an api-version, for example 2024-10-21, but was '"
              + apiVersion
              + "'");
    }
    return new Builder(id, endpoint, BackendFlavor.AZURE_OPENAI, apiVersion);
  }

  /** An Azure OpenAI resource through its {@code /openai/v1} API (no api-version needed). */
  public static Builder azureOpenAiV1(String id, String endpoint) {
    return new Builder(id, endpoint, BackendFlavor.AZURE_OPENAI_V1, null);
  }

  /**
   * An Amazon Bedrock runtime endpoint, for example {@code
   * https://bedrock-runtime.us-east-1.amazonaws.com}: Converse, ConverseStream, InvokeModel and
   * InvokeModelWithResponseStream calls go to {@code {endpoint}/model/{modelId}/{operation}}, the
   * mapped model ID in the path. Bedrock authenticates every request by its signature, so give the
   * backend a {@link Builder#signer} ({@code AwsSigV4.signer(region, "bedrock", credentials)}); the
   * call is signed again for each attempt, after it was rewritten for the backend.
   */
  public static Builder bedrock(String id, String endpoint) {
    return new Builder(id, endpoint, BackendFlavor.BEDROCK, null);
  }

  /**
   * An Azure AI Foundry resource through its model inference API ({@code
   * {endpoint}/models/chat/completions?api-version=...}, the model in the body), for example {@code
   * https://my-resource.services.ai.azure.com} with {@code 2024-05-01-preview}. An endpoint already
   * ending in {@code /models}, as the Foundry portal shows it ({@code
   * https://my-resource.services.ai.azure.com/models}), is used as it is.
   */
  public static Builder azureAiInference(String id, String endpoint, String apiVersion) {
    if (apiVersion == null || apiVersion.isBlank()) {
      throw new IllegalArgumentException(
          "Azure AI Foundry backend '"
              + id
              + "' needs an api-version, for example 2024-05-01-preview, but was '"
              + apiVersion
              + "'");
    }
    return new Builder(id, endpoint, BackendFlavor.AZURE_AI_INFERENCE, apiVersion);
  }

  /**
   * The Google Gemini API, for example {@code https://generativelanguage.googleapis.com}: the model
   * goes in the path, an API key in {@code x-goog-api-key}.
   */
  public static Builder gemini(String id, String baseUrl) {
    return new Builder(id, baseUrl, BackendFlavor.GEMINI, null);
  }

  /**
   * Google Vertex AI in one project and location: the base URL {@code
   * https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}}; the
   * model goes in the path, the credential (an access token) as {@code Authorization: Bearer}.
   */
  public static Builder vertexAi(String id, String baseUrl) {
    return new Builder(id, baseUrl, BackendFlavor.VERTEX_AI, null);
  }

  /**
   * An Anthropic backend, for example {@code https://api.anthropic.com}: calls keep the
   * application's {@code anthropic-version} header.
   */
  public static Builder anthropic(String id, String baseUrl) {
    return new Builder(id, baseUrl, BackendFlavor.ANTHROPIC, null);
  }

  /**
   * An Anthropic backend whose calls carry {@code anthropic-version: apiVersion} (for example
   * {@code 2023-06-01}) whatever the application sent.
   */
  public static Builder anthropic(String id, String baseUrl, String apiVersion) {
    if (apiVersion == null || apiVersion.isBlank()) {
      throw new IllegalArgumentException(
          "Anthropic backend '"
              + id
              + "' needs a non-blank anthropic-version, for example 2023-06-01, but was '"
              + apiVersion
              + "'");
    }
    return new Builder(id, baseUrl, BackendFlavor.ANTHROPIC, apiVersion);
  }

  /** The backend's id, unique within its pool; it appears in events and logs. */
  public String id() {
    return id;
  }

  /** The base URL (without a trailing slash), as configured: its query, if any, included. */
  public String baseUrl() {
    return baseUrl;
  }

  /**
   * The base URL without its query and without a trailing slash: what a call's path is added to.
   * The same as {@link #baseUrl()} when it has no query.
   */
  public String requestBaseUrl() {
    return requestBaseUrl;
  }

  /**
   * {@code url}, a call's URL built on {@link #requestBaseUrl()}, with the base URL's own query
   * parameters after the call's own (for example an API gateway's {@code subscription-key}); the
   * URL as it is when the base URL has no query.
   */
  public String withBaseQuery(String url) {
    if (baseQuery == null) {
      return url;
    }
    return url + (url.indexOf('?') >= 0 ? '&' : '?') + baseQuery;
  }

  /** The host of {@link #baseUrl()}. */
  public String host() {
    return host;
  }

  /** The port of {@link #baseUrl()}: the explicit one, else 443 for https and 80 for http. */
  public int port() {
    return port;
  }

  /** How calls are rewritten for this backend. */
  public BackendFlavor flavor() {
    return flavor;
  }

  /** The Azure api-version (Azure OpenAI deployments, Azure AI Foundry), or null for others. */
  public @Nullable String apiVersion() {
    return apiVersion;
  }

  /** The model mapping: the application's model name to this backend's model or deployment. */
  public Map<String, String> models() {
    return models;
  }

  /** The credential provider, or null to send the application's own credential headers. */
  public @Nullable CredentialProvider credential() {
    return credential;
  }

  /** What signs each attempt sent to this backend, or null when none does. */
  public @Nullable RequestSigner signer() {
    return signer;
  }

  /** The weight for weighted balancing (>= 1). */
  public int weight() {
    return weight;
  }

  /** The priority tier; lower numbers get traffic first. */
  public int priority() {
    return priority;
  }

  /** The backend's known token capacity per minute, or 0 when unknown. */
  public long tokensPerMinute() {
    return tokensPerMinute;
  }

  /** The backend's known request capacity per minute, or 0 when unknown. */
  public long requestsPerMinute() {
    return requestsPerMinute;
  }

  /**
   * The most attempts this gateway sends to the backend at once, or 0 for no cap (see {@link
   * Builder#maxInFlight}).
   */
  public int maxInFlight() {
    return maxInFlight;
  }

  /**
   * Whether the backend serves the model the application asked for. A backend without a mapping
   * serves every model (and, unless it is an Azure deployment-form backend, which needs a
   * deployment name, calls that name none), but none named {@code .} or {@code ..} when the model
   * is a segment of its path (an Azure deployment-form backend's deployment, a Bedrock backend's
   * {@code /model/{id}/}): no deployment or model has such a name, and as a segment it is a dot
   * segment, which the HTTP client resolves, so the call would go to another path of the endpoint
   * ({@code /openai/chat/completions}, {@code /converse}), or above the base path of an API
   * Management endpoint or a proxy.
   */
  public boolean serves(String requestedModel) {
    if (models.isEmpty()) {
      return switch (flavor) {
        case AZURE_OPENAI -> requestedModel != null && !dotSegment(requestedModel);
        case BEDROCK -> requestedModel == null || !dotSegment(requestedModel);
        default -> true;
      };
    }
    return requestedModel != null && models.containsKey(requestedModel);
  }

  /** Whether {@code name} is a path's dot segment, {@code .} or {@code ..}. */
  static boolean dotSegment(String name) {
    return name.equals(".") || name.equals("..");
  }

  /**
   * This backend's name for the model the application asked for: the mapped name, or the name
   * itself when the backend has no mapping (null when the call names no model).
   */
  public @Nullable String targetModel(@Nullable String requestedModel) {
    if (models.isEmpty() || requestedModel == null) {
      return requestedModel;
    }
    return models.get(requestedModel);
  }

  @Override
  public String toString() {
    return "Backend{"
        + id
        + ", "
        + flavor
        + " "
        + SafeUrls.withoutSecrets(baseUrl)
        + ", priority="
        + priority
        + ", weight="
        + weight
        + (maxInFlight == 0 ? "" : ", maxInFlight=" + maxInFlight)
        + (models.isEmpty() ? "" : ", models=" + models.keySet())
        + (credential == null ? "" : ", credential=" + credential)
        + (signer == null ? "" : ", signer=" + signer)
        + "}";
  }

  /** Builds a {@link Backend}. */
  public static final class Builder {
    private final String id;
    private final String baseUrl;
    private final BackendFlavor flavor;
    private final String apiVersion;
    private final Map<String, String> models = new LinkedHashMap<>();
    private CredentialProvider credential;
    private int weight = DEFAULT_WEIGHT;
    private int priority = DEFAULT_PRIORITY;
    private long tokensPerMinute;
    private long requestsPerMinute;
    private RequestSigner signer;
    private int maxInFlight;

    private Builder(String id, String baseUrl, BackendFlavor flavor, String apiVersion) {
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException("backend id must be non-blank but was '" + id + "'");
      }
      this.id = id;
      this.baseUrl = validUrl(id, baseUrl);
      this.flavor = flavor;
      this.apiVersion = apiVersion;
    }

    /**
     * Serves the application's model {@code alias} as this backend's {@code target}.
     *
     * @throws IllegalArgumentException when {@code target} is {@code .} or {@code ..} on an Azure
     *     OpenAI deployment-form backend or a Bedrock backend, where it is a segment of the path
     *     (the deployment, the model ID): a dot segment, which would lead the call to another path
     *     of the endpoint
     */
    public Builder model(String alias, String target) {
      requireText(alias, "model alias");
      requireText(target, "target model");
      if ((flavor == BackendFlavor.AZURE_OPENAI || flavor == BackendFlavor.BEDROCK)
          && dotSegment(target)) {
        throw new IllegalArgumentException(
            "backend '"
                + id
                + "' cannot map model '"
                + alias
                + (flavor == BackendFlavor.BEDROCK ? "' to model ID '" : "' to deployment '")
                + target
                + "': a dot segment is no "
                + (flavor == BackendFlavor.BEDROCK ? "model ID" : "deployment name"));
      }
      String previous = models.putIfAbsent(alias, target);
      if (previous != null) {
        throw new IllegalStateException(
            "backend '" + id + "' already maps model '" + alias + "' to '" + previous + "'");
      }
      return this;
    }

    /** The credential for this backend (default: the application's own headers are sent). */
    public Builder credential(CredentialProvider credential) {
      this.credential = Objects.requireNonNull(credential, "credential");
      return this;
    }

    /**
     * Signs every attempt sent to this backend (default: none), after the call was rewritten for
     * it: the signer's headers are set and the application's {@code Authorization} and {@code
     * X-Amz-*} headers removed. Amazon Bedrock needs one: {@code AwsSigV4.signer(region, "bedrock",
     * credentials)}. A backend may have a signer or a {@link #credential}, not both.
     */
    public Builder signer(RequestSigner signer) {
      this.signer = Objects.requireNonNull(signer, "signer");
      return this;
    }

    /** The weight for weighted balancing (default 1). */
    public Builder weight(int weight) {
      if (weight < 1) {
        throw new IllegalArgumentException(
            "weight of backend '" + id + "' must be >= 1 but was " + weight);
      }
      this.weight = weight;
      return this;
    }

    /**
     * The priority tier (default 1); a higher number gets traffic only when lower tiers are down.
     */
    public Builder priority(int priority) {
      if (priority < 0) {
        throw new IllegalArgumentException(
            "priority of backend '" + id + "' must be >= 0 but was " + priority);
      }
      this.priority = priority;
      return this;
    }

    /**
     * The backend's known capacity (for example a provisioned deployment's TPM); used by
     * capacity-aware balancing until the backend reports its own rate-limit headers.
     */
    public Builder capacity(long tokensPerMinute, long requestsPerMinute) {
      if (tokensPerMinute < 0 || requestsPerMinute < 0) {
        throw new IllegalArgumentException(
            "capacity of backend '"
                + id
                + "' must be >= 0 but was "
                + tokensPerMinute
                + " TPM, "
                + requestsPerMinute
                + " RPM");
      }
      this.tokensPerMinute = tokensPerMinute;
      this.requestsPerMinute = requestsPerMinute;
      return this;
    }

    /**
     * At most {@code attempts} of this gateway's calls in flight at the backend at once (default:
     * no cap). An attempt holds its slot from the moment the backend is chosen until it ends: its
     * answer was read to the end or closed by the application, it failed, it was cancelled, or the
     * call moved on to another attempt. A backend at its cap is skipped by selection as a cooling
     * one is, so the call goes to another backend of the pool (a lower-priority tier included);
     * when every backend serving the model is at its cap (or otherwise unavailable), the call is
     * answered 503 {@code no_backend_available} with {@code Retry-After: 1}, as an overloaded proxy
     * sheds load. The cap is per gateway instance: {@code n} gateways may send {@code n ×
     * attempts}. A later call replaces the cap.
     *
     * @throws IllegalArgumentException when {@code attempts} is not positive
     */
    public Builder maxInFlight(int attempts) {
      if (attempts <= 0) {
        throw new IllegalArgumentException(
            "maxInFlight of backend '" + id + "' must be > 0 but was " + attempts);
      }
      this.maxInFlight = attempts;
      return this;
    }

    /** Builds the backend. */
    public Backend build() {
      if (signer != null && credential != null) {
        throw new IllegalStateException(
            "backend '"
                + id
                + "' has both a credential and a signer; a signed request carries its own"
                + " Authorization header, so give it one or the other");
      }
      return new Backend(this);
    }

    private static String validUrl(String id, String url) {
      try {
        URI uri = new URI(url);
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
            || uri.getHost() == null) {
          throw new IllegalArgumentException(
              "base URL of backend '"
                  + id
                  + "' must be an absolute http(s) URL but was '"
                  + SafeUrls.withoutSecrets(url)
                  + "'");
        }
      } catch (URISyntaxException | NullPointerException e) {
        // Not chained, and the URL not quoted: it may hold a key, and URI's message quotes it.
        throw new IllegalArgumentException(
            "base URL of backend '"
                + id
                + "' must be an absolute http(s) URL but is not a URL (a reserved character may"
                + " need percent-encoding)");
      }
      return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static void requireText(String value, String what) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(what + " must be non-blank but was '" + value + "'");
      }
    }
  }
}
