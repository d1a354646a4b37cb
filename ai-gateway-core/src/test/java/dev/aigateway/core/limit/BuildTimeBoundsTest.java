package dev.aigateway.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.core.AiGateway;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Settings the store or the accounting could not honour are refused when the configuration is
 * built, with a message that prints the bad value and the bound, instead of failing (and turning
 * the limit off) on every call.
 */
class BuildTimeBoundsTest {

  @Test
  void aLimitHeaderNameNoResponseCanCarryIsRefusedWhenTheLimitIsBuilt() {
    // OkHttp refuses such a name when the gateway adds the header to the application's response:
    // an IllegalArgumentException on every admitted call, after its reservation and backend call.
    for (String name :
        List.of("x-remaining tokens", "x-remaining ", "x:remaining", "x-r\u00e9st")) {
      assertThatThrownBy(() -> TokenLimit.global().remainingTokensHeader(name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + name + "'")
          .hasMessageContaining("remainingTokensHeader");
      assertThatThrownBy(() -> TokenLimit.global().remainingQuotaHeader(name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("remainingQuotaHeader");
      assertThatThrownBy(() -> TokenLimit.global().remainingRequestsHeader(name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("remainingRequestsHeader");
      assertThatThrownBy(() -> TokenLimit.global().tokensConsumedHeader(name))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tokensConsumedHeader");
    }
    assertThat(
            TokenLimit.global()
                .tokensPerMinute(10)
                .remainingTokensHeader("X-RateLimit-Remaining-Tokens")
                .build()
                .remainingTokensHeader())
        .isEqualTo("X-RateLimit-Remaining-Tokens");
  }

  @Test
  void rateFasterThanOneTokenPerNanosecondIsRefusedWithTheValueAndTheMaximum() {
    assertThatThrownBy(() -> TokenLimit.perConsumer().tokensPerMinute(Long.MAX_VALUE / 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Long.MAX_VALUE / 4))
        .hasMessageContaining("at most 60000000000")
        .hasMessageContaining("PT1M");
  }

  @Test
  void rateOfOneTokenPerNanosecondIsKeptAndAdmitsItsWholeCapacity() {
    TokenLimit limit = TokenLimit.perConsumer().tokensPerMinute(60_000_000_000L).build();
    InMemoryTokenLimitStore store = new InMemoryTokenLimitStore();

    boolean admitted =
        store
            .reserve(List.of(new LimitCharge(limit.specs().get(0), "alice", 60_000_000_000L)))
            .admitted();

    assertThat(admitted).isTrue();
  }

  @Test
  void ratePeriodBeyondWhatALongHoldsInNanosecondsIsRefusedWithTheMaximum() {
    assertThatThrownBy(() -> TokenLimit.global().tokensPer(1, Duration.ofDays(365L * 300)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT2628000H")
        .hasMessageContaining(TokenLimit.MAX_RATE_PERIOD.toString());
  }

  @Test
  void defaultOutputAllowanceAboveMaxTokensIsRefusedWithTheValueAndTheMaximum() {
    assertThatThrownBy(() -> AiGateway.builder().defaultOutputAllowance(Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Long.MAX_VALUE))
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS));
  }

  @Test
  void aSettingForACounterTheLimitDoesNotHaveIsRefusedInsteadOfBeingIgnored() {
    // Each header or zone belongs to a counter of its own: on a limit without that counter the
    // gateway would never send the header nor use the zone, without a word.
    List<TokenLimit.Builder> inert =
        List.of(
            TokenLimit.global().tokensPerMinute(1_000).quotaZone(ZoneId.of("Europe/Paris")),
            TokenLimit.global().quota(1_000, QuotaPeriod.DAILY).remainingTokensHeader("x-left"),
            TokenLimit.global().tokensPerMinute(1_000).remainingQuotaHeader("x-left"),
            TokenLimit.global()
                .requestQuota(100, QuotaPeriod.DAILY)
                .remainingRequestsHeader("x-left"),
            TokenLimit.global().requestsPerSecond(10).tokensConsumedHeader("x-used"));
    List<String> settings =
        List.of(
            "quotaZone(Europe/Paris)",
            "remainingTokensHeader(x-left)",
            "remainingQuotaHeader(x-left)",
            "remainingRequestsHeader(x-left)",
            "tokensConsumedHeader(x-used)");
    List<UnusedLimitSettingException.Setting> refused =
        List.of(
            UnusedLimitSettingException.Setting.QUOTA_ZONE,
            UnusedLimitSettingException.Setting.REMAINING_TOKENS_HEADER,
            UnusedLimitSettingException.Setting.REMAINING_QUOTA_HEADER,
            UnusedLimitSettingException.Setting.REMAINING_REQUESTS_HEADER,
            UnusedLimitSettingException.Setting.TOKENS_CONSUMED_HEADER);
    for (int i = 0; i < inert.size(); i++) {
      UnusedLimitSettingException.Setting setting = refused.get(i);
      assertThatThrownBy(inert.get(i)::build)
          .as(settings.get(i))
          .isInstanceOfSatisfying(
              UnusedLimitSettingException.class,
              unused -> {
                assertThat(unused.setting()).isEqualTo(setting);
                assertThat(unused.limitName()).isEqualTo("global");
              })
          .hasMessageContaining("limit 'global' sets " + settings.get(i))
          .hasMessageContaining("would never be used");
    }
    // With its counter, each is kept; a quota zone serves a request quota too.
    assertThat(
            TokenLimit.global()
                .requestQuota(100, QuotaPeriod.DAILY)
                .quotaZone(ZoneId.of("Europe/Paris"))
                .build()
                .specs()
                .get(0)
                .zone())
        .isEqualTo(ZoneId.of("Europe/Paris"));
  }
}
