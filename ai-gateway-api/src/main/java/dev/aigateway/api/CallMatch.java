package dev.aigateway.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link CallMatcher} recognised in a request line: the operation and, for Azure OpenAI's
 * deployment-style paths, the deployment name.
 *
 * @param operation the LLM operation, never null
 * @param deployment the Azure OpenAI deployment named in the path, its percent escapes decoded as
 *     Azure decodes them ({@code gpt%2D4o} is {@code gpt-4o}), or null when the path names none
 */
public record CallMatch(Operation operation, @Nullable String deployment) {
  public CallMatch {
    Objects.requireNonNull(operation, "operation");
  }
}
