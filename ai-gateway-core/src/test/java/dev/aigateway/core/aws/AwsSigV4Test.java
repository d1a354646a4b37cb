package dev.aigateway.core.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * AWS Signature Version 4 against AWS's published test suite (credentials {@code AKIDEXAMPLE},
 * {@code us-east-1}, service {@code service}, 2015-08-30T12:36:00Z; the requests sign {@code host}
 * and {@code x-amz-date}), and the signer a backend uses.
 */
class AwsSigV4Test {

  private static final AwsCredentials SUITE =
      AwsCredentials.of("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  private static final String DATE = "20150830T123600Z";
  private static final String EMPTY_SHA256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private static String suiteSignature(String method, String path, String query) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Host", "example.amazonaws.com");
    headers.put("X-Amz-Date", DATE);
    String authorization =
        AwsSigV4.authorization(
            method, path, query, headers, EMPTY_SHA256, SUITE, DATE, "us-east-1", "service");
    assertThat(authorization)
        .startsWith(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
                + " SignedHeaders=host;x-amz-date, Signature=");
    return authorization.substring(authorization.lastIndexOf('=') + 1);
  }

  @Test
  void getVanilla() {
    assertThat(suiteSignature("GET", "/", null))
        .isEqualTo("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  }

  @Test
  void getVanillaQueryOrderKeyCase() {
    assertThat(suiteSignature("GET", "/", "Param2=value2&Param1=value1"))
        .isEqualTo("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  }

  @Test
  void getUtf8() {
    assertThat(suiteSignature("GET", "/ሴ", null))
        .isEqualTo("8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
  }

  @Test
  void postVanilla() {
    assertThat(suiteSignature("POST", "/", null))
        .isEqualTo("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  }

  @Test
  void postVanillaQuery() {
    assertThat(suiteSignature("POST", "/", "Param1=value1"))
        .isEqualTo("28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
  }

  @Test
  void theSignerSignsTheBodyDateAndTokenAndReturnsTheHeadersToSend() throws IOException {
    AwsCredentials temporary = new AwsCredentials("ASIAEXAMPLE", "secret-example", "token-1");
    Clock clock = Clock.fixed(Instant.parse("2015-08-30T12:36:00Z"), ZoneOffset.UTC);
    AwsSigV4 signer =
        AwsSigV4.signer("eu-west-1", "bedrock", AwsCredentialsProvider.of(temporary), clock);
    byte[] body = "{\"messages\":[]}".getBytes(StandardCharsets.UTF_8);
    String url = "https://bedrock-runtime.eu-west-1.amazonaws.com/model/a%3Ab/converse";

    Map<String, String> headers = signer.sign("POST", url, body);

    String bodyHash = HexFormat.of().formatHex(AwsSigV4.sha256(body));
    assertThat(headers)
        .containsEntry("X-Amz-Date", DATE)
        .containsEntry("X-Amz-Content-Sha256", bodyHash)
        .containsEntry("X-Amz-Security-Token", "token-1");
    Map<String, String> signed = new LinkedHashMap<>();
    signed.put("host", "bedrock-runtime.eu-west-1.amazonaws.com");
    signed.put("x-amz-content-sha256", bodyHash);
    signed.put("x-amz-date", DATE);
    signed.put("x-amz-security-token", "token-1");
    assertThat(headers.get("Authorization"))
        .isEqualTo(
            AwsSigV4.authorization(
                "POST",
                "/model/a%3Ab/converse",
                null,
                signed,
                bodyHash,
                temporary,
                DATE,
                "eu-west-1",
                "bedrock"))
        .contains(
            "Credential=ASIAEXAMPLE/20150830/eu-west-1/bedrock/aws4_request, "
                + "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, ");
  }

  @Test
  void theWirePathIsEncodedOnceMoreAsAwsDoesForEveryServiceButS3() {
    assertThat(AwsSigV4.encode("/model/arn%3Aaws%3Abedrock/converse", false))
        .isEqualTo("/model/arn%253Aaws%253Abedrock/converse");
  }

  /**
   * A URL written with characters the HTTP client percent-encodes (anything outside ASCII, in the
   * path or the query) or with {@code .} and {@code ..} segments it resolves goes on the wire as
   * the second spelling below, which AWS reads to check the signature: both spellings sign the
   * same.
   */
  @Test
  void aUrlIsSignedAsTheHttpClientSendsIt() throws IOException {
    Clock clock = Clock.fixed(Instant.parse("2015-08-30T12:36:00Z"), ZoneOffset.UTC);
    AwsSigV4 signer =
        AwsSigV4.signer("us-east-1", "bedrock", AwsCredentialsProvider.of(SUITE), clock);
    String[][] spellings = {
      {"https://h.example/caf\u00e9/x", "https://h.example/caf%C3%A9/x"},
      {"https://h.example/m/\uD83D\uDE00/x", "https://h.example/m/%F0%9F%98%80/x"},
      {"https://h.example/x?q=%41\uD83D\uDE00", "https://h.example/x?q=A%F0%9F%98%80"},
      {"https://h.example/x?q=\u00e9%20", "https://h.example/x?q=%C3%A9%20"},
      {"https://h.example/a/./b/../c", "https://h.example/a/c"},
      {"https://h.example/a/b/..", "https://h.example/a/"},
    };
    for (String[] spelling : spellings) {
      assertThat(signer.sign("POST", spelling[0], new byte[0]).get("Authorization"))
          .as(spelling[0])
          .isEqualTo(signer.sign("POST", spelling[1], new byte[0]).get("Authorization"));
    }
  }

  @Test
  void aNonDefaultPortIsPartOfTheSignedHost() throws IOException {
    Clock clock = Clock.fixed(Instant.parse("2015-08-30T12:36:00Z"), ZoneOffset.UTC);
    AwsSigV4 signer =
        AwsSigV4.signer("us-east-1", "bedrock", AwsCredentialsProvider.of(SUITE), clock);

    String onPort =
        signer.sign("POST", "http://localhost:8080/x", new byte[0]).get("Authorization");
    String onDefault = signer.sign("POST", "http://localhost/x", new byte[0]).get("Authorization");

    assertThat(onPort).isNotEqualTo(onDefault);
    assertThat(AwsSigV4.hostHeader(java.net.URI.create("https://h.example:443/")))
        .isEqualTo("h.example");
    assertThat(AwsSigV4.hostHeader(java.net.URI.create("http://h.example:8080/")))
        .isEqualTo("h.example:8080");
    assertThat(AwsSigV4.hostHeader(java.net.URI.create("https://Bedrock-Runtime.example/")))
        .isEqualTo("bedrock-runtime.example");
  }

  @Test
  void environmentCredentialsAreReadAndTheirAbsenceExplainedWithoutSecrets() throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AWS_ACCESS_KEY_ID", "AKIDENV");
    AwsCredentialsProvider provider = AwsCredentialsProvider.environment(env::get);

    assertThatThrownBy(provider::credentials)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("AWS_SECRET_ACCESS_KEY");

    env.put("AWS_SECRET_ACCESS_KEY", "env-secret-value");
    env.put("AWS_SESSION_TOKEN", "env-token-value");
    AwsCredentials read = provider.credentials();
    assertThat(read.accessKeyId()).isEqualTo("AKIDENV");
    assertThat(read.sessionToken()).isEqualTo("env-token-value");
    assertThat(read.toString())
        .doesNotContain("env-secret-value")
        .doesNotContain("env-token-value");
  }

  @Test
  void environmentValuesAroundWhichSpaceWasLeftSignAsTheAwsSdkReadsThem() throws IOException {
    // A variable filled from a file (a Kubernetes secret, an env file) often ends in a line break;
    // the AWS SDK trims the environment's values, and a signature over the untrimmed secret is
    // refused by AWS.
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AWS_ACCESS_KEY_ID", "AKIDENV\n");
    env.put("AWS_SECRET_ACCESS_KEY", " env-secret-value\n");
    env.put("AWS_SESSION_TOKEN", "env-token-value\r\n");
    Clock clock = Clock.fixed(Instant.parse("2015-08-30T12:36:00Z"), ZoneOffset.UTC);
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    String url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse";

    Map<String, String> fromEnvironment =
        AwsSigV4.signer("us-east-1", "bedrock", AwsCredentialsProvider.environment(env::get), clock)
            .sign("POST", url, body);
    Map<String, String> fromTrimmed =
        AwsSigV4.signer(
                "us-east-1",
                "bedrock",
                AwsCredentialsProvider.of(
                    new AwsCredentials("AKIDENV", "env-secret-value", "env-token-value")),
                clock)
            .sign("POST", url, body);

    assertThat(fromEnvironment).isEqualTo(fromTrimmed);
  }

  @Test
  void aUrlThatCannotBeSignedIsRefusedWithoutQuotingIt() {
    // A direct caller's URL may carry a secret in its query (a presigned URL's signature, a key).
    AwsSigV4 signer = AwsSigV4.signer("us-east-1", "bedrock", AwsCredentialsProvider.of(SUITE));
    String malformed = "https://bedrock.example/model/m/invoke?X-Amz-Signature=sig-SECRET|1";
    String hostless = "/model/m/invoke?X-Amz-Security-Token=token-SECRET";

    for (String url : new String[] {malformed, hostless}) {
      Throwable refused = catchThrowable(() -> signer.sign("POST", url, new byte[0]));
      assertThat(refused).isInstanceOf(IOException.class).hasMessageStartingWith("cannot sign");
      for (Throwable t = refused; t != null; t = t.getCause()) {
        assertThat(t.toString()).doesNotContain("SECRET");
      }
    }
    assertThatThrownBy(() -> signer.sign("POST", malformed, new byte[0]))
        .hasMessageContaining("query")
        .hasMessageContaining("index 65");
  }

  @Test
  void badSettingsAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> AwsSigV4.signer("us east", "bedrock", () -> SUITE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'us east'");
    assertThatThrownBy(() -> AwsCredentials.of("AKID", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("AKID");
  }
}
