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
 * an {@link IOException} naming the provider and the SDK's reason (which never holds a secret); the
 * call then moves on to another backend, if any.
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
                  + e.getMessage(),
              e);
        }
        if (resolved == null) {
          throw new IOException(
              "the AWS SDK's "
                  + sdkProvider.getClass().getSimpleName()
                  + " returned no credentials");
        }
        String token =
            resolved instanceof AwsSessionCredentials session ? session.sessionToken() : null;
        return new AwsCredentials(resolved.accessKeyId(), resolved.secretAccessKey(), token);
      }

      @Override
      public String toString() {
        return "AwsSdkCredentials.from(" + sdkProvider.getClass().getSimpleName() + ")";
      }
    };
  }
}
