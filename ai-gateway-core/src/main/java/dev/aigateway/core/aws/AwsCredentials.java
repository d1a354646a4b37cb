package dev.aigateway.core.aws;

import org.jspecify.annotations.Nullable;

/**
 * AWS credentials to sign requests with: an access key pair and, for temporary credentials (an
 * assumed role, SSO, an instance profile), a session token. {@link #toString()} shows the access
 * key ID only, never the secret or the token.
 *
 * @param accessKeyId the access key ID, for example {@code AKIAIOSFODNN7EXAMPLE}
 * @param secretAccessKey the secret access key
 * @param sessionToken the session token of temporary credentials, or null
 */
public record AwsCredentials(
    String accessKeyId, String secretAccessKey, @Nullable String sessionToken) {

  public AwsCredentials {
    if (accessKeyId == null || accessKeyId.isBlank()) {
      throw new IllegalArgumentException("an AWS access key ID must be non-blank");
    }
    if (secretAccessKey == null || secretAccessKey.isBlank()) {
      throw new IllegalArgumentException(
          "the AWS secret access key of " + accessKeyId + " must be non-blank");
    }
    if (sessionToken != null && sessionToken.isBlank()) {
      sessionToken = null;
    }
  }

  /** Long-term credentials: an access key pair without a session token. */
  public static AwsCredentials of(String accessKeyId, String secretAccessKey) {
    return new AwsCredentials(accessKeyId, secretAccessKey, null);
  }

  @Override
  public String toString() {
    return "AwsCredentials{"
        + accessKeyId
        + ", secret ****"
        + (sessionToken == null ? "" : ", session token ****")
        + "}";
  }
}
