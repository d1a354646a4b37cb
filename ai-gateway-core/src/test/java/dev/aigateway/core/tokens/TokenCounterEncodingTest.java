package dev.aigateway.core.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("compute-bound")
class TokenCounterEncodingTest {

  private final TokenCounter counter = TokenCounter.defaults();

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "gpt-4o, O200K_BASE",
    "gpt-4o-mini-2024-07-18, O200K_BASE",
    "chatgpt-4o-latest, O200K_BASE",
    "gpt-4.1, O200K_BASE",
    "gpt-4.1-nano, O200K_BASE",
    "gpt-4.5-preview, O200K_BASE",
    "gpt-5, O200K_BASE",
    "gpt-5-mini, O200K_BASE",
    "o1, O200K_BASE",
    "o1-mini, O200K_BASE",
    "o3-mini, O200K_BASE",
    "o4-mini, O200K_BASE",
    "gpt-4, CL100K_BASE",
    "gpt-4-0613, CL100K_BASE",
    "gpt-4-turbo, CL100K_BASE",
    "gpt-4-32k, CL100K_BASE",
    "gpt-3.5-turbo, CL100K_BASE",
    "gpt-3.5-turbo-instruct, CL100K_BASE",
    "gpt-35-turbo, CL100K_BASE",
    "gpt-35-turbo-16k, CL100K_BASE",
    "text-embedding-3-small, CL100K_BASE",
    "text-embedding-3-large, CL100K_BASE",
    "text-embedding-ada-002, CL100K_BASE",
  })
  void builtInMappingChoosesTheModelsEncoding(String model, TokenEncoding expected) {
    assertThat(counter.encodingFor(model)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "openai/gpt-4, CL100K_BASE",
    "azure/gpt-35-turbo, CL100K_BASE",
    "openai/gpt-4o, O200K_BASE",
    "openrouter/openai/gpt-3.5-turbo, CL100K_BASE",
  })
  void providerPrefixIsIgnoredByTheBuiltInMapping(String model, TokenEncoding expected) {
    assertThat(counter.encodingFor(model)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "ft:gpt-3.5-turbo-0125:acme::9AbCdEfG, CL100K_BASE",
    "ft:gpt-4-0613:acme:support:8XyZ1234, CL100K_BASE",
    "openai/ft:gpt-3.5-turbo-1106:acme::7QwErTy, CL100K_BASE",
    "ft:davinci-002:acme::1a2b3c4d, CL100K_BASE",
    "ft:gpt-4o-mini-2024-07-18:acme::5ZxCvBn, O200K_BASE",
  })
  void aFineTunedModelIsCountedWithItsBaseModelsEncoding(String model, TokenEncoding expected) {
    assertThat(counter.encodingFor(model)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"GPT-4", "Gpt-3.5-Turbo", "OpenAI/GPT-4-0613", " gpt-4 "})
  void modelNamesMatchCaseInsensitively(String model) {
    assertThat(counter.encodingFor(model)).isEqualTo(TokenEncoding.CL100K_BASE);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"   "})
  void missingModelGetsTheDefaultEncoding(String model) {
    assertThat(counter.encodingFor(model)).isEqualTo(TokenCounter.DEFAULT_ENCODING);
    assertThat(
            TokenCounter.builder()
                .defaultEncoding(TokenEncoding.CL100K_BASE)
                .build()
                .encodingFor(model))
        .isEqualTo(TokenEncoding.CL100K_BASE);
  }

  @Test
  void unknownModelGetsTheConfiguredDefaultEncoding() {
    TokenCounter cl100k = TokenCounter.builder().defaultEncoding(TokenEncoding.CL100K_BASE).build();

    assertThat(cl100k.encodingFor("mistral-large")).isEqualTo(TokenEncoding.CL100K_BASE);
    assertThat(cl100k.encodingFor("gpt-4o")).isEqualTo(TokenEncoding.O200K_BASE);
  }

  @Test
  void userMappingOverridesTheBuiltInOne() {
    TokenCounter custom =
        TokenCounter.builder().encodingForModelPrefix("gpt", TokenEncoding.R50K_BASE).build();

    assertThat(custom.encodingFor("gpt-4o")).isEqualTo(TokenEncoding.R50K_BASE);
    assertThat(custom.encodingFor("text-embedding-3-small")).isEqualTo(TokenEncoding.CL100K_BASE);
  }

  @Test
  void longestUserPrefixWins() {
    TokenCounter custom =
        TokenCounter.builder()
            .encodingForModelPrefix("prod-", TokenEncoding.CL100K_BASE)
            .encodingForModelPrefix("prod-chat-", TokenEncoding.P50K_BASE)
            .build();

    assertThat(custom.encodingFor("prod-chat-large")).isEqualTo(TokenEncoding.P50K_BASE);
    assertThat(custom.encodingFor("prod-embed")).isEqualTo(TokenEncoding.CL100K_BASE);
  }

  @Test
  void userMappingMatchesCaseInsensitivelyWithOrWithoutProviderPrefix() {
    TokenCounter custom =
        TokenCounter.builder()
            .encodingForModelPrefix("My-Deployment", TokenEncoding.CL100K_BASE)
            .encodingForModelPrefix("azure/legacy-", TokenEncoding.P50K_BASE)
            .build();

    assertThat(custom.encodingFor("my-deployment-eu")).isEqualTo(TokenEncoding.CL100K_BASE);
    assertThat(custom.encodingFor("azure/MY-DEPLOYMENT")).isEqualTo(TokenEncoding.CL100K_BASE);
    assertThat(custom.encodingFor("azure/legacy-davinci")).isEqualTo(TokenEncoding.P50K_BASE);
  }

  @Test
  void resolutionStaysCorrectPastTheCacheBound() {
    for (int i = 0; i < 3000; i++) {
      assertThat(counter.encodingFor("gpt-4-variant-" + i)).isEqualTo(TokenEncoding.CL100K_BASE);
      assertThat(counter.encodingFor("custom-model-" + i)).isEqualTo(TokenEncoding.O200K_BASE);
    }
  }

  @Test
  void countTextUsesTheModelsEncoding() {
    // The cookbook's compare_encodings("お誕生日おめでとう"): cl100k_base 9 tokens, o200k_base 8.
    assertThat(counter.countText("gpt-4", "お誕生日おめでとう")).isEqualTo(9);
    assertThat(counter.countText("gpt-4o", "お誕生日おめでとう")).isEqualTo(8);
  }

  @Test
  void countTextOfNullOrEmptyIsZero() {
    assertThat(counter.countText("gpt-4o", null)).isZero();
    assertThat(counter.countText("gpt-4o", "")).isZero();
  }

  @Test
  void countTextTreatsSpecialTokenStringsAsOrdinaryText() {
    assertThat(counter.countText("gpt-4o", "<|endoftext|>")).isGreaterThan(1);
  }

  @Test
  void countTextAcceptsAnyCharSequence() {
    assertThat(counter.countText("gpt-4o", new StringBuilder("hello world")))
        .isEqualTo(counter.countText("gpt-4o", "hello world"));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -5})
  void imageTokensMustBePositive(int tokens) {
    assertThatThrownBy(() -> TokenCounter.builder().imageTokens(tokens))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("imageTokens must be > 0 but was " + tokens);
  }

  @Test
  void blankModelPrefixIsRejected() {
    assertThatThrownBy(
            () -> TokenCounter.builder().encodingForModelPrefix("  ", TokenEncoding.CL100K_BASE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'  '");
  }

  @Test
  void mappingTheSamePrefixTwiceIsRejected() {
    TokenCounter.Builder builder =
        TokenCounter.builder().encodingForModelPrefix("prod-", TokenEncoding.CL100K_BASE);

    assertThatThrownBy(() -> builder.encodingForModelPrefix("PROD-", TokenEncoding.O200K_BASE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("model prefix 'prod-' was already mapped to cl100k_base");
  }

  @Test
  void nullEncodingsAreRejected() {
    assertThatThrownBy(() -> TokenCounter.builder().encodingForModelPrefix("x", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("encoding");
    assertThatThrownBy(() -> TokenCounter.builder().defaultEncoding(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("defaultEncoding");
  }

  @Test
  void cachedCountsAreThoseOfTheTextAndTheEncodingEveryTime() {
    TokenCounter counter = TokenCounter.defaults();
    java.util.Random random = new java.util.Random(42);
    String[] words = {"token", "gateway", " ", "x", "42", "é", "数据", "\n", "<|endoftext|>", "."};
    for (int round = 0; round < 300; round++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(40);
      for (int w = 0; w < length; w++) {
        text.append(words[random.nextInt(words.length)]);
      }
      String original = text.toString();
      // The same characters in another order: as long, often as many tokens, not the same text.
      String reversed = text.reverse().toString();
      for (String t : new String[] {original, reversed, new String(original.toCharArray())}) {
        assertThat(counter.countText("gpt-4o", t))
            .as("o200k %s", t)
            .isEqualTo(o200k().countTokensOrdinary(t));
        assertThat(counter.countText("gpt-4", t))
            .as("cl100k %s", t)
            .isEqualTo(cl100k().countTokensOrdinary(t));
      }
    }
  }

  @Test
  void longTextsThatDifferOnlyOutsideLatin1AreCountedApart() {
    TokenCounter counter = TokenCounter.defaults();
    // Long enough for the lane hash, which sees both as the same bytes ('?' for each ideograph).
    String a = "数据 ".repeat(200);
    String b = "统计 ".repeat(200);
    String c = "ab ".repeat(200);

    for (int round = 0; round < 3; round++) {
      assertThat(counter.countText("gpt-4o", a)).isEqualTo(o200k().countTokensOrdinary(a));
      assertThat(counter.countText("gpt-4o", b)).isEqualTo(o200k().countTokensOrdinary(b));
      assertThat(counter.countText("gpt-4o", c)).isEqualTo(o200k().countTokensOrdinary(c));
    }
  }

  private static final com.knuddels.jtokkit.api.EncodingRegistry REGISTRY =
      com.knuddels.jtokkit.Encodings.newLazyEncodingRegistry();

  private static com.knuddels.jtokkit.api.Encoding o200k() {
    return REGISTRY.getEncoding(com.knuddels.jtokkit.api.EncodingType.O200K_BASE);
  }

  private static com.knuddels.jtokkit.api.Encoding cl100k() {
    return REGISTRY.getEncoding(com.knuddels.jtokkit.api.EncodingType.CL100K_BASE);
  }

  @ParameterizedTest
  @EnumSource(TokenEncoding.class)
  void eachEncodingCountsAsTheTiktokenEncodingOfItsName(TokenEncoding encoding) {
    String text = "Hello, wörld! 12345 数据 <|endoftext|>";

    assertThat(counter.countText(encoding, text))
        .isEqualTo(
            REGISTRY.getEncoding(encoding.encodingName()).orElseThrow().countTokensOrdinary(text));
  }

  @Test
  void aCountInAModelsEncodingIsTheCountForTheModel() {
    String text = "Concurrency is not parallelism.";

    assertThat(counter.countText(TokenEncoding.CL100K_BASE, text))
        .isEqualTo(counter.countText("gpt-4", text));
    assertThat(counter.countText(TokenEncoding.CL100K_BASE, null)).isZero();
  }

  @Test
  void imageTokensAreTheConfiguredBound() {
    assertThat(counter.imageTokens()).isEqualTo(TokenCounter.DEFAULT_IMAGE_TOKENS);
    assertThat(TokenCounter.builder().imageTokens(500).build().imageTokens()).isEqualTo(500);
  }

  @Test
  void aModelNameOfAMegabyteIsResolvedByItsPrefix() {
    assertThat(counter.encodingFor("gpt-4-" + "x".repeat(1_000_000)))
        .isEqualTo(TokenEncoding.CL100K_BASE);
  }

  @Test
  void aWhitespaceFreeMegabyteCountsItsSizeAndTwoWithoutBeingEncoded() {
    assertThat(counter.countText("gpt-4o", "z".repeat(1_000_000))).isEqualTo(1_000_002);
  }
}
