package dev.aigateway.aws;

import dev.aigateway.core.aws.AwsCredentials;
import dev.aigateway.core.aws.AwsCredentialsProvider;
import java.io.IOException;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * The AWS SDK's credential providers as the gateway's {@link AwsCredentialsProvider}, to sign
 * Bedrock calls with whatever credentials the application's AWS setup provides.
 *
 * <pre>{@code
 * Backend.bedrock("east", "https://bedrock-runtime.us-east-1.amazonaws.com")
 *     .signer(AwsSigV4.signer("us-east-1", "bedrock", AwsSdkCredentials.defaultChain()));
 * }</pre>
 *
 * <p>The SDK's providers cache temporary credentials and refresh them before they expire, so asking
 * them on every attempt is cheap. A provider that cannot resolve credentials fails the attempt with
 * an {@link IOException} naming the provider and the SDK's reason (which never holds a secret; the
 * exception's class when the SDK gives none); so does one that gives anonymous credentials (the
 * SDK's {@code AnonymousCredentialsProvider}: no access key, nothing to sign with). The call then
 * moves on to another backend, if any.
 */
public final class AwsSdkCredentials {

  private AwsSdkCredentials() {}

  /**
   * The SDK's default chain: system properties ({@code aws.accessKeyId}, ...), environment
   * variables, web identity, the shared {@code ~/.aws} profile files (SSO included), container and
   * instance credentials, in the SDK's order. One chain per call of this method; keep the result.
   */
  public static AwsCredentialsProvider defaultChain() {
    return from(DefaultCredentialsProvider.builder().build());
  }

  /** Any provider of the SDK (a profile's, an assumed role's, a static one, ...). */
  public static AwsCredentialsProvider from(
      software.amazon.awssdk.auth.credentials.AwsCredentialsProvider sdkProvider) {
    Objects.requireNonNull(sdkProvider, "sdkProvider");
    return new AwsCredentialsProvider() {
      @Override
      public AwsCredentials credentials() throws IOException {
        software.amazon.awssdk.auth.credentials.AwsCredentials resolved;
        try {
          resolved = sdkProvider.resolveCredentials();
        } catch (RuntimeException e) {
          throw new IOException(
              "the AWS SDK's "
                  + sdkProvider.getClass().getSimpleName()
                  + " found no credentials: "
                  + (e.getMessage() == null || e.getMessage().isBlank()
                      ? e.getClass().getName()
                      : e.getMessage()),
              e);
        }
        String provider = sdkProvider.getClass().getSimpleName();
        if (resolved == null) {
          throw new IOException("the AWS SDK's " + provider + " returned no credentials");
        }
        if (resolved.accessKeyId() == null || resolved.accessKeyId().isBlank()) {
          // The SDK's AnonymousCredentialsProvider: for unsigned requests, which Bedrock refuses.
          throw new IOException(
              "the AWS SDK's "
                  + provider
                  + " gave anonymous credentials (no access key ID): a Bedrock call cannot be"
                  + " signed with them");
        }
        String token =
            resolved instanceof AwsSessionCredentials session ? session.sessionToken() : null;
        try {
          return new AwsCredentials(resolved.accessKeyId(), resolved.secretAccessKey(), token);
        } catch (IllegalArgumentException e) {
          // A blank secret key: the message names the access key ID, never a secret.
          throw new IOException(
              "the AWS SDK's " + provider + " gave credentials that cannot sign: " + e.getMessage(),
              e);
        }
      }

      @Override
      public String toString() {
        return "AwsSdkCredentials.from(" + sdkProvider.getClass().getSimpleName() + ")";
      }
    };
  }
}
