package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Usage;
import org.junit.jupiter.api.Test;

/**
 * One call of each provider pair of {@link WireFormatBenchmark} and {@link TranslationBenchmark},
 * without JMH: every format reads the usage its answer reports, and every translated answer is
 * whole.
 */
class ProviderBenchmarksTest {

  @Test
  void everyFormatReadsTheUsageItsAnswerReports() throws Exception {
    WireFormatBenchmark benchmark = new WireFormatBenchmark();
    benchmark.setUp(); // throws when a benchmark would not read the usage it should

    Usage expected = Usage.of(14, 18);
    assertThat(benchmark.anthropicJson()).isEqualTo(benchmark.anthropicEvents());
    assertThat(benchmark.anthropicJson().inputTokens()).isEqualTo(expected.inputTokens());
    assertThat(benchmark.bedrockConverseJson()).isEqualTo(expected);
    assertThat(benchmark.bedrockConverseStream()).isEqualTo(expected);
    assertThat(benchmark.bedrockClaudeStream().outputTokens()).isEqualTo(18);
  }

  @Test
  void everyTranslatedAnswerIsReadWhole() throws Exception {
    TranslationBenchmark benchmark = new TranslationBenchmark();
    benchmark.setUp();

    assertThat(benchmark.anthropicRequest()).isPositive();
    assertThat(benchmark.bedrockRequest()).isPositive();
    assertThat(benchmark.geminiRequest()).isPositive();
    // A stream answers one OpenAI chunk per word at least, so it is longer than the document.
    assertThat(benchmark.anthropicStream()).isGreaterThan(benchmark.anthropicJson());
    assertThat(benchmark.bedrockStream()).isGreaterThan(benchmark.bedrockJson());
    assertThat(benchmark.geminiStream()).isGreaterThan(benchmark.geminiJson());
  }
}
