package dev.aigateway.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Ready-made {@link CallMatcher}s.
 *
 * <pre>{@code
 * CallMatcher matcher = CallMatchers.openAiAndAzure();
 * matcher.match("POST", "/v1/chat/completions");                        // CHAT_COMPLETIONS
 * matcher.match("POST", "/openai/deployments/gpt4o/chat/completions");  // CHAT_COMPLETIONS, deployment gpt4o
 * matcher.match("GET", "/v1/models");                                   // null: passes through
 * }</pre>
 */
public final class CallMatchers {

  /** The operations matched by a path suffix, and the suffix of each. */
  private static final Operation[] OPERATIONS = {
    Operation.CHAT_COMPLETIONS, Operation.COMPLETIONS, Operation.EMBEDDINGS, Operation.RESPONSES
  };

  private static final String[] SUFFIXES = {
    "chat/completions", "completions", "embeddings", "responses"
  };

  /** The match of each of {@link #OPERATIONS} without a deployment: one immutable instance each. */
  private static final CallMatch[] MATCHES = {
    new CallMatch(Operation.CHAT_COMPLETIONS, null),
    new CallMatch(Operation.COMPLETIONS, null),
    new CallMatch(Operation.EMBEDDINGS, null),
    new CallMatch(Operation.RESPONSES, null)
  };

  private static final String AZURE_DEPLOYMENTS = "/openai/deployments/";
  private static final String AZURE_V1 = "/openai/v1/";
  private static final String OPENAI_V1 = "/v1/";
  private static final String AZURE_RESPONSES = "/openai/responses";
  private static final String AI_INFERENCE_MODELS = "/models/";

  private static final CallMatcher OPENAI_AND_AZURE = CallMatchers::matchOpenAiOrAzure;

  private CallMatchers() {}

  /**
   * Matches {@code POST} requests whose path ends in {@code /v1/chat/completions}, {@code
   * /v1/completions}, {@code /v1/embeddings} or {@code /v1/responses} (any prefix before {@code
   * /v1/}, so gateways mounted under a base path match too), Azure OpenAI's {@code
   * /openai/deployments/{deployment}/{operation}} and its {@code /openai/v1/{operation}} form,
   * Azure OpenAI's {@code /openai/responses} (with an api-version), and Azure AI Foundry model
   * inference's {@code /models/chat/completions} and {@code /models/embeddings}.
   */
  public static CallMatcher openAiAndAzure() {
    return OPENAI_AND_AZURE;
  }

  /**
   * Matches only requests that {@code first} matches and whose path starts with {@code pathPrefix};
   * useful when one client talks to several OpenAI-compatible services and only one of them should
   * be governed.
   */
  public static CallMatcher underPath(String pathPrefix, CallMatcher first) {
    Objects.requireNonNull(pathPrefix, "pathPrefix");
    Objects.requireNonNull(first, "first");
    return (method, path) -> path.startsWith(pathPrefix) ? first.match(method, path) : null;
  }

  private static @Nullable CallMatch matchOpenAiOrAzure(String method, String path) {
    if (!"POST".equals(method)) {
      return null;
    }
    int deployments = path.indexOf(AZURE_DEPLOYMENTS);
    if (deployments >= 0) {
      int nameStart = deployments + AZURE_DEPLOYMENTS.length();
      int slash = path.indexOf('/', nameStart);
      if (slash <= nameStart) {
        return null;
      }
      int operation = operationAt(path, slash + 1);
      return operation < 0
          ? null
          : new CallMatch(OPERATIONS[operation], deployment(path.substring(nameStart, slash)));
    }
    int v1 = path.indexOf(AZURE_V1);
    int suffixStart = v1 >= 0 ? v1 + AZURE_V1.length() : lastV1(path);
    if (suffixStart < 0) {
      return matchAzureWithoutV1(path);
    }
    int operation = operationAt(path, suffixStart);
    return operation < 0 ? null : MATCHES[operation];
  }

  /**
   * Azure OpenAI's Responses API with an api-version ({@code /openai/responses}) and Azure AI
   * Foundry model inference ({@code /models/chat/completions}, {@code /models/embeddings}), whose
   * model is in the body.
   */
  private static @Nullable CallMatch matchAzureWithoutV1(String path) {
    int end = path.endsWith("/") ? path.length() - 1 : path.length();
    if (path.startsWith(AZURE_RESPONSES, end - AZURE_RESPONSES.length())) {
      return MATCHES[3];
    }
    int models = path.lastIndexOf(AI_INFERENCE_MODELS);
    if (models < 0) {
      return null;
    }
    int operation = operationAt(path, models + AI_INFERENCE_MODELS.length());
    return operation >= 0
            && (OPERATIONS[operation] == Operation.CHAT_COMPLETIONS
                || OPERATIONS[operation] == Operation.EMBEDDINGS)
        ? MATCHES[operation]
        : null;
  }

  /**
   * The deployment as Azure reads it from its encoded path segment: percent escapes decoded ({@code
   * gpt%2D4o} is {@code gpt-4o}), a {@code +} kept as it is. A segment with a malformed escape is
   * kept as written (Azure refuses such a path).
   */
  private static String deployment(String segment) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    try {
      return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return segment;
    }
  }

  private static int lastV1(String path) {
    int at = path.lastIndexOf(OPENAI_V1);
    return at < 0 ? -1 : at + OPENAI_V1.length();
  }

  /**
   * The index in {@link #OPERATIONS} of the operation whose suffix is all of {@code path} from
   * {@code start} on (one trailing slash ignored), or -1; no substring is made.
   */
  private static int operationAt(String path, int start) {
    int end = path.endsWith("/") ? path.length() - 1 : path.length();
    int length = end - start;
    for (int k = 0; k < SUFFIXES.length; k++) {
      String suffix = SUFFIXES[k];
      if (suffix.length() == length && path.startsWith(suffix, start)) {
        return k;
      }
    }
    return -1;
  }
}
