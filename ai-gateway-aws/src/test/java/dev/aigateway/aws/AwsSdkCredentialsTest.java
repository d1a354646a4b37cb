package dev.aigateway.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.core.aws.AwsCredentials;
import dev.aigateway.core.aws.AwsCredentialsProvider;
import dev.aigateway.core.aws.AwsSigV4;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/** The AWS SDK's providers, the default chain among them, as the gateway's credentials. */
class AwsSdkCredentialsTest {

  // The log scan (scripts/scan-logs.sh) fails the build if these values reach any log.
  private static final String SECRET = "bedrock-test-SECRET-wJalrXUtnFEMI";
  private static final String TOKEN = "bedrock-test-SESSION-TOKEN-FQoGZXIvYXdz";

  @AfterEach
  void clearProperties() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    System.clearProperty("aws.sessionToken");
  }

  @Test
  void theDefaultChainReadsTheSdksSystemProperties() throws IOException {
    System.setProperty("aws.accessKeyId", "AKIDSDKCHAIN");
    System.setProperty("aws.secretAccessKey", SECRET);
    System.setProperty("aws.sessionToken", TOKEN);

    AwsCredentials resolved = AwsSdkCredentials.defaultChain().credentials();

    assertThat(resolved).isEqualTo(new AwsCredentials("AKIDSDKCHAIN", SECRET, TOKEN));
  }

  @Test
  void sessionAndBasicCredentialsOfAnyProviderAreAdapted() throws IOException {
    AwsCredentialsProvider session =
        AwsSdkCredentials.from(
            StaticCredentialsProvider.create(AwsSessionCredentials.create("AKIDS", SECRET, TOKEN)));
    AwsCredentialsProvider basic =
        AwsSdkCredentials.from(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDB", SECRET)));

    assertThat(session.credentials().sessionToken()).isEqualTo(TOKEN);
    assertThat(basic.credentials()).isEqualTo(AwsCredentials.of("AKIDB", SECRET));
    assertThat(session.toString()).doesNotContain(SECRET).doesNotContain(TOKEN);
  }

  @Test
  void aProviderThatFindsNothingFailsTheAttemptWithAnIoException() {
    AwsCredentialsProvider failing =
        AwsSdkCredentials.from(
            () -> {
              throw SdkClientException.create("Unable to load credentials from any provider");
            });

    assertThatThrownBy(failing::credentials)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Unable to load credentials");
  }

  @Test
  void anonymousCredentialsFailTheAttemptWithAnIoExceptionNamingTheProvider() {
    AwsCredentialsProvider anonymous =
        AwsSdkCredentials.from(
            software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create());

    assertThatThrownBy(anonymous::credentials)
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the AWS SDK's AnonymousCredentialsProvider gave anonymous credentials (no access key"
                + " ID): a Bedrock call cannot be signed with them");
  }

  @Test
  void aProviderFailureWithoutAMessageIsNamedByItsClass() {
    AwsCredentialsProvider failing =
        AwsSdkCredentials.from(
            () -> {
              throw new IllegalStateException();
            });

    assertThatThrownBy(failing::credentials)
        .isInstanceOf(IOException.class)
        .hasMessageEndingWith("found no credentials: java.lang.IllegalStateException");
  }

  @Test
  void aSignerSignsWithTheSdksCredentials() throws IOException {
    AwsSigV4 signer =
        AwsSigV4.signer(
            "us-east-1",
            "bedrock",
            AwsSdkCredentials.from(
                StaticCredentialsProvider.create(
                    AwsSessionCredentials.create("AKIDSIGN", SECRET, TOKEN))));

    Map<String, String> headers =
        signer.sign(
            "POST",
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse",
            new byte[0]);

    assertThat(headers.get("Authorization")).startsWith("AWS4-HMAC-SHA256 Credential=AKIDSIGN/");
    assertThat(headers.get("X-Amz-Security-Token")).isEqualTo(TOKEN);
    assertThat(headers.get("Authorization")).doesNotContain(SECRET);
  }
}
