package dev.aigateway.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link CallMatcher} recognised in a request line: the operation and, for Azure OpenAI's
 * deployment-style paths, the deployment name.
 *
 * @param operation the LLM operation, never null
 * @param deployment the Azure OpenAI deployment named in the path, or null when the path names none
 */
public record CallMatch(Operation operation, @Nullable String deployment) {
  public CallMatch {
    Objects.requireNonNull(operation, "operation");
  }
}
