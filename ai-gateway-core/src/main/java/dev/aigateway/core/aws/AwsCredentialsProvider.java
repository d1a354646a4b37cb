package dev.aigateway.core.aws;

import java.io.IOException;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Supplies the AWS credentials to sign each attempt with. Called on every attempt, so an
 * implementation that fetches temporary credentials must cache them and refresh them before they
 * expire (the AWS SDK's providers do; see the {@code ai-gateway-aws} module). Implementations are
 * thread-safe and never put a secret in an exception or a log line.
 *
 * <pre>{@code
 * AwsCredentialsProvider keys = AwsCredentialsProvider.environment();   // AWS_ACCESS_KEY_ID, ...
 * AwsCredentialsProvider fixed = AwsCredentialsProvider.of(AwsCredentials.of(id, secret));
 * }</pre>
 */
@FunctionalInterface
public interface AwsCredentialsProvider {

  /** The environment variable of the access key ID. */
  String ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";

  /** The environment variable of the secret access key. */
  String SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";

  /** The environment variable of the session token of temporary credentials. */
  String SESSION_TOKEN = "AWS_SESSION_TOKEN";

  /**
   * The credentials to sign with now.
   *
   * @throws IOException when none can be had (the attempt fails, the call moves on)
   */
  AwsCredentials credentials() throws IOException;

  /** Always the same credentials. */
  static AwsCredentialsProvider of(AwsCredentials credentials) {
    Objects.requireNonNull(credentials, "credentials");
    return new AwsCredentialsProvider() {
      @Override
      public AwsCredentials credentials() {
        return credentials;
      }

      @Override
      public String toString() {
        return "AwsCredentialsProvider.of(" + credentials + ")";
      }
    };
  }

  /**
   * The credentials in the process environment: {@value #ACCESS_KEY_ID}, {@value
   * #SECRET_ACCESS_KEY} and, when set, {@value #SESSION_TOKEN}, without the white space around them
   * (as the AWS SDK reads them: a variable filled from a file often ends in a line break); read on
   * every call, so a rotated environment (rare in a JVM) is seen.
   */
  static AwsCredentialsProvider environment() {
    return environment(System::getenv);
  }

  /**
   * The credentials in {@code environment}, read as {@link #environment()} reads the process's (for
   * tests, or variables kept elsewhere).
   *
   * @param environment a variable's value by name, null when unset
   */
  static AwsCredentialsProvider environment(Function<String, @Nullable String> environment) {
    Objects.requireNonNull(environment, "environment");
    return new AwsCredentialsProvider() {
      @Override
      public AwsCredentials credentials() throws IOException {
        String id = trimmed(environment.apply(ACCESS_KEY_ID));
        String secret = trimmed(environment.apply(SECRET_ACCESS_KEY));
        if (id == null || id.isBlank() || secret == null || secret.isBlank()) {
          throw new IOException(
              "no AWS credentials in the environment: set "
                  + ACCESS_KEY_ID
                  + " and "
                  + SECRET_ACCESS_KEY
                  + (id == null || id.isBlank() ? "" : " (only " + ACCESS_KEY_ID + " is set)"));
        }
        return new AwsCredentials(id, secret, trimmed(environment.apply(SESSION_TOKEN)));
      }

      private static @Nullable String trimmed(@Nullable String value) {
        return value == null ? null : value.strip();
      }

      @Override
      public String toString() {
        return "AwsCredentialsProvider.environment()";
      }
    };
  }
}
