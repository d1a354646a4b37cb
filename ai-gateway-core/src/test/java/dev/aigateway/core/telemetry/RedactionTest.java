package dev.aigateway.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedactionTest {

  private static String redact(String text) {
    return Redaction.defaults().redact(text);
  }

  // ---------------------------------------------------------------- e-mail addresses

  @ParameterizedTest
  @ValueSource(
      strings = {
        "jane@example.com",
        "jane.doe+ai@mail.example.co.uk",
        "j_d-1%x@sub-domain.example.org"
      })
  void emailAddressesAreMasked(String address) {
    assertThat(redact("write to " + address + ", today")).isEqualTo("write to [email], today");
  }

  @Test
  void emailInsideMarkupAndAtSentenceEndIsMasked() {
    assertThat(redact("<a href=\"mailto:bob@example.com\">Bob</a> or alice@example.com."))
        .isEqualTo("<a href=\"mailto:[email]\">Bob</a> or [email].");
  }

  @Test
  void atSignsThatAreNotAddressesAreKept() {
    assertThat(redact("@channel see user@localhost and a @ b"))
        .isEqualTo("@channel see user@localhost and a @ b");
  }

  // ---------------------------------------------------------------- card numbers

  @ParameterizedTest
  @ValueSource(
      strings = {
        "4111111111111111",
        "4111 1111 1111 1111",
        "5500-0000-0000-0004",
        "378282246310005",
        "3782 822463 10005",
        "6011 0009 9013 9424",
        "4222222222222"
      })
  void luhnValidCardNumbersAreMasked(String card) {
    assertThat(redact("pay with " + card + " please")).isEqualTo("pay with [card] please");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"4111 1111 1111 1112", "1234567890123", "1234567890123456", "98765432109876543"})
  void luhnInvalidNumbersAreKept(String orderNumber) {
    assertThat(redact("order " + orderNumber + " shipped"))
        .isEqualTo("order " + orderNumber + " shipped");
  }

  @Test
  void shortNumbersDatesAndPhoneNumbersAreKept() {
    String text = "call +44 20 7946 0958 on 2024-01-15 about invoice 4242, qty 12";
    assertThat(redact(text)).isEqualTo(text);
  }

  @Test
  void cardAfterAQuantityIsStillMasked() {
    assertThat(redact("2 4111 1111 1111 1111")).isEqualTo("2 [card]");
  }

  @Test
  void aCardInsideALongerDigitRunIsNotACard() {
    assertThat(redact("id 00004111111111111111")).isEqualTo("id 00004111111111111111");
  }

  @Test
  void cardsInJsonAreMasked() {
    assertThat(redact("{\"card\":\"4012888888881881\",\"n\":[4111111111111111]}"))
        .isEqualTo("{\"card\":\"[card]\",\"n\":[[card]]}");
  }

  // ---------------------------------------------------------------- bearer tokens

  @ParameterizedTest
  @ValueSource(strings = {"Bearer", "bearer", "BEARER"})
  void bearerTokensAreMaskedInAnyCase(String scheme) {
    assertThat(redact("Authorization: " + scheme + " eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.abc-_x="))
        .isEqualTo("Authorization: Bearer [token]");
  }

  @Test
  void shortOrDigitlessWordsAfterBearerAreKept() {
    assertThat(redact("the bearer of bad news; bearer authentication"))
        .isEqualTo("the bearer of bad news; bearer authentication");
  }

  @Test
  void longDigitlessBearerTokensAreMasked() {
    assertThat(redact("Bearer abcdefghijklmnopqrstuvwxyz")).isEqualTo("Bearer [token]");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Authorization: Basic dXNlcjpodW50ZXIyLXBhc3N3b3Jk",
        "Proxy-Authorization: basic dXNlcjpodW50ZXIyLXBhc3N3b3Jk",
        "{\"authorization\":\"Basic dXNlcjpodW50ZXIyLXBhc3N3b3Jk\"}",
        "curl -H 'Authorization: BASIC dXNlcjpodW50ZXIyLXBhc3N3b3Jk' https://x"
      })
  void basicCredentialsAreMasked(String text) {
    // user:hunter2-password, base64
    assertThat(redact(text))
        .doesNotContain("dXNlcjpodW50ZXIyLXBhc3N3b3Jk")
        .containsIgnoringCase("Basic [credentials]");
  }

  @Test
  void basicAsAWordIsKept() {
    String text = "basic research and Basic English; basic dXNlcg (no colon inside)";
    assertThat(redact(text)).isEqualTo(text);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "password=correcthorsebatterystaple",
        "db_password: s3cr3t!p@ss",
        "{\"password\":\"hunter2-hunter2\"}",
        "PGPASSWORD='p@ss w' psql",
        "passwd=Tr0ub4dor&3",
        "https://x/login?user=a&pwd=letmein99&q=1"
      })
  void passwordAssignmentsAreMasked(String text) {
    String redacted = redact(text);
    assertThat(redacted)
        .contains("[password]")
        .doesNotContain("correcthorse")
        .doesNotContain("s3cr3t")
        .doesNotContain("hunter2")
        .doesNotContain("p@ss")
        .doesNotContain("Tr0ub4dor")
        .doesNotContain("letmein");
  }

  @Test
  void passwordProseIsKept() {
    String text = "Reset your password, then choose a password: it must be long.";
    assertThat(redact(text)).isEqualTo(text);
  }

  // ---------------------------------------------------------------- API keys

  @ParameterizedTest
  @ValueSource(
      strings = {
        "sk-abcdefghijklmnop1234",
        "sk-proj-Ab3dEf6hIj9lMn0pQr_s-TuV",
        "sk-ant-api03-abcdefghijklmnop"
      })
  void openAiStyleKeysAreMasked(String key) {
    assertThat(redact("key " + key + " works")).isEqualTo("key [api-key] works");
  }

  @Test
  void shortSkWordsAreKept() {
    assertThat(redact("use sk-learn or task-abcdefghijklmnopqrstu"))
        .isEqualTo("use sk-learn or task-abcdefghijklmnopqrstu");
  }

  @Test
  void azureApiKeyHeaderIsMasked() {
    assertThat(redact("api-key: 0123456789abcdef0123456789abcdef\r\n"))
        .isEqualTo("api-key: [api-key]\r\n");
  }

  @Test
  void azureApiKeyInJsonIsMasked() {
    assertThat(redact("{\"api-key\":\"0a1b2c3d4e5f0a1b2c3d4e5f0a1b2c3d\", \"x\":1}"))
        .isEqualTo("{\"api-key\":\"[api-key]\", \"x\":1}");
    assertThat(redact("{\\\"api-key\\\": \\\"0a1b2c3d4e5f0a1b2c3d4e5f0a1b2c3d\\\"}"))
        .isEqualTo("{\\\"api-key\\\": \\\"[api-key]\\\"}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "x-api-key: abc123def456ghi",
        "X-Api-Key=abc123def456ghi",
        "OPENAI_API_KEY=abc123def456ghi",
        "apikey='abc123def456ghi'",
        "Ocp-Apim-Subscription-Key: abc123def456ghi",
        "client_secret=abc123def456ghi",
        "access_token=abc123def456ghi",
        "key=abc123def456ghi"
      })
  void keyAssignmentsAreMasked(String assignment) {
    String redacted = redact("GET /v1?" + assignment + "&q=1");
    assertThat(redacted).doesNotContain("abc123def456ghi").contains("[api-key]").endsWith("&q=1");
  }

  @Test
  void keyNamesWithWordsOrNumbersAreKept() {
    String text = "key: remember this; \"max_tokens\": 4096, max_token=4096, monkey=bananas";
    assertThat(redact(text)).isEqualTo(text);
  }

  // ---------------------------------------------------------------- custom steps

  @Test
  void customPatternReplacesEachMatch() {
    Redaction redaction =
        Redaction.builder().pattern(Pattern.compile("\\bEMP-\\d{6}\\b"), "[employee]").build();

    assertThat(redaction.redact("EMP-123456 and EMP-654321, not EMP-12"))
        .isEqualTo("[employee] and [employee], not EMP-12");
  }

  @Test
  void customPatternReplacementMayReferToGroups() {
    Redaction redaction =
        Redaction.builder()
            .pattern(Pattern.compile("(ssn)=\\d{3}-\\d{2}-\\d{4}"), "$1=[ssn]")
            .build();

    assertThat(redaction.redact("ssn=123-45-6789")).isEqualTo("ssn=[ssn]");
  }

  @Test
  void customFunctionRuns() {
    Redaction redaction =
        Redaction.builder().custom(text -> text.replace("Project Falcon", "[project]")).build();

    assertThat(redaction.redact("status of Project Falcon?")).isEqualTo("status of [project]?");
  }

  @Test
  void stepsRunInTheOrderAdded() {
    List<String> order = new ArrayList<>();
    Redaction redaction =
        Redaction.builder()
            .custom(
                t -> {
                  order.add("first");
                  return t + "1";
                })
            .custom(
                t -> {
                  order.add("second");
                  return t + "2";
                })
            .build();

    assertThat(redaction.redact("x")).isEqualTo("x12");
    assertThat(order).containsExactly("first", "second");
  }

  @Test
  void customPatternWithBuiltIns() {
    Redaction redaction =
        Redaction.builder()
            .emails()
            .pattern(Pattern.compile("(?i)project falcon"), "[project]")
            .build();

    assertThat(redaction.redact("Project Falcon: mail ceo@example.com, key sk-abcdefghijklmnop12"))
        .isEqualTo("[project]: mail [email], key sk-abcdefghijklmnop12");
  }

  @Test
  void builderRejectsNulls() {
    assertThatNullPointerException()
        .isThrownBy(() -> Redaction.builder().pattern(null, "x"))
        .withMessage("pattern");
    assertThatNullPointerException()
        .isThrownBy(() -> Redaction.builder().pattern(Pattern.compile("x"), null))
        .withMessage("replacement");
    assertThatNullPointerException()
        .isThrownBy(() -> Redaction.builder().custom(null))
        .withMessage("step");
  }

  // ---------------------------------------------------------------- none, defaults, edge cases

  @Test
  void noneKeepsEverything() {
    String text = "jane@example.com 4111111111111111 Bearer abc123def sk-abcdefghijklmnop1234";
    assertThat(Redaction.none().redact(text)).isSameAs(text);
  }

  @Test
  void defaultsMaskEveryBuiltInClassInOneText() {
    String text =
        "from jane@example.com card 4111-1111-1111-1111 auth Bearer abc123def456"
            + " key sk-abcdefghijklmnop1234 api-key: 0123456789abcdef0123456789abcdef";

    assertThat(redact(text))
        .isEqualTo(
            "from [email] card [card] auth Bearer [token]" + " key [api-key] api-key: [api-key]");
  }

  @Test
  void textWithNothingToMaskIsReturnedAsIs() {
    String text = "What is the capital of France? Answer in 3 words.";
    assertThat(redact(text)).isSameAs(text);
  }

  @Test
  void nullAndEmptyPassThrough() {
    assertThat(redact(null)).isNull();
    assertThat(redact("")).isEmpty();
  }

  @Test
  void redactingTwiceChangesNothingMore() {
    String once =
        redact(
            "Bearer abc123def456 sk-abcdefghijklmnop1234 x-api-key: abc123def456g"
                + " jane@example.com 4111 1111 1111 1111 password=hunter2x"
                + " Authorization: Basic dXNlcjpodW50ZXIyLXBhc3N3b3Jk");
    assertThat(redact(once)).isEqualTo(once);
  }

  @Test
  void builtInsRunInLinearTimeOnAdversarialText() {
    int size = 1 << 20;
    List<String> texts =
        List.of(
            "a".repeat(size) + "@", // one long local part, no domain
            "a.".repeat(size / 2) + "@x", // dots everywhere
            "x@" + "a.".repeat(size / 2), // one huge domain
            "1 ".repeat(size / 2), // one huge run of one-digit groups
            "9".repeat(size), // one huge digit run
            "x-".repeat(size / 2) + "key", // a huge identifier ending in key
            "x-".repeat(size / 2) + "password=", // a huge identifier ending in password
            "basic ".repeat(size / 6), // the word without credentials
            "Basic " + "A".repeat(size), // one huge base64 run
            "sk-".repeat(size / 3), // prefixes without keys
            "bearer ".repeat(size / 7));

    // A bound against catastrophic backtracking, not a speed claim: linear scanning takes about a
    // second here, a backtracking one far longer than the bound; the margin keeps the test steady
    // on a loaded machine.
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          for (String text : texts) {
            redact(text);
          }
        });
  }
}
