package dev.aigateway.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.LimitSpec.Kind;
import dev.aigateway.api.spi.LimitSpec.Unit;
import java.time.Duration;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** The request and in-flight settings of a limit's builder. */
class RequestLimitBuilderTest {

  @Test
  void aLimitOfEveryKindKeepsItsCountersInOneDocumentedOrder() {
    TokenLimit limit =
        TokenLimit.perConsumer()
            .maxInFlight(4)
            .requestQuota(10_000, QuotaPeriod.DAILY)
            .requestsPerMinute(60)
            .quota(1_000_000, QuotaPeriod.MONTHLY)
            .tokensPerMinute(20_000)
            .quotaZone(ZoneId.of("Europe/Paris"))
            .build();

    assertThat(limit.specs())
        .extracting(LimitSpec::id)
        .containsExactly(
            "consumer/rate",
            "consumer/quota/monthly",
            "consumer/request-rate",
            "consumer/request-quota/daily",
            "consumer/in-flight");
    assertThat(limit.specs().get(2))
        .isEqualTo(
            LimitSpec.rate("consumer/request-rate", Unit.REQUESTS, 60, Duration.ofMinutes(1)));
    assertThat(limit.specs().get(3))
        .isEqualTo(
            LimitSpec.quota(
                "consumer/request-quota/daily",
                Unit.REQUESTS,
                10_000,
                QuotaPeriod.DAILY,
                ZoneId.of("Europe/Paris")));
    assertThat(limit.specs().get(4)).isEqualTo(LimitSpec.inFlight("consumer/in-flight", 4));
    assertThat(limit.countsTokens()).isTrue();
  }

  @Test
  void aLimitOfRequestsAloneCountsNoTokens() {
    TokenLimit limit = TokenLimit.global().requestsPerSecond(50).build();

    assertThat(limit.specs())
        .singleElement()
        .satisfies(
            spec -> {
              assertThat(spec.kind()).isEqualTo(Kind.RATE);
              assertThat(spec.unit()).isEqualTo(Unit.REQUESTS);
              assertThat(spec.capacity()).isEqualTo(50);
              assertThat(spec.refillPeriod()).isEqualTo(Duration.ofSeconds(1));
            });
    assertThat(limit.countsTokens()).isFalse();
  }

  @Test
  void anInFlightCapAloneIsALimit() {
    TokenLimit limit = TokenLimit.perModel().maxInFlight(2).build();

    assertThat(limit.specs()).containsExactly(LimitSpec.inFlight("model/in-flight", 2));
    assertThat(limit.countsTokens()).isFalse();
  }

  @Test
  void aLaterRequestRateReplacesAnEarlierOneWhateverItsPeriod() {
    TokenLimit limit =
        TokenLimit.perConsumer()
            .requestsPerSecond(10)
            .requestsPerMinute(300)
            .requestQuota(5, QuotaPeriod.HOURLY)
            .requestQuota(7, QuotaPeriod.DAILY)
            .maxInFlight(3)
            .maxInFlight(5)
            .build();

    assertThat(limit.specs())
        .containsExactly(
            LimitSpec.rate("consumer/request-rate", Unit.REQUESTS, 300, Duration.ofMinutes(1)),
            LimitSpec.quota(
                "consumer/request-quota/daily",
                Unit.REQUESTS,
                7,
                QuotaPeriod.DAILY,
                java.time.ZoneOffset.UTC),
            LimitSpec.inFlight("consumer/in-flight", 5));
  }

  @Test
  void badRequestSettingsAreRefusedWithTheValue() {
    TokenLimit.Builder builder = TokenLimit.perConsumer();

    assertThatThrownBy(() -> builder.requestsPerSecond(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("requests per period must be > 0 but was 0");
    assertThatThrownBy(() -> builder.requestsPer(5, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("request rate period must be positive but was PT-1S");
    assertThatThrownBy(() -> builder.requestsPer(2, Duration.ofNanos(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("requests per period must be at most 1")
        .hasMessageContaining("but was 2");
    assertThatThrownBy(() -> builder.requestQuota(-3, QuotaPeriod.DAILY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("request quota must be > 0 but was -3");
    assertThatThrownBy(() -> builder.maxInFlight(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max in-flight calls must be > 0 but was 0");
  }

  @Test
  void aLimitThatCountsNothingNamesEverySetting() {
    assertThatThrownBy(() -> TokenLimit.perConsumer().name("empty").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("limit 'empty' needs")
        .hasMessageContaining("requestsPerMinute(..)")
        .hasMessageContaining("maxInFlight(..)");
  }

  @Test
  void toStringShowsTheRequestSettings() {
    assertThat(
            TokenLimit.perConsumer()
                .requestsPerMinute(60)
                .requestQuota(100, QuotaPeriod.DAILY)
                .maxInFlight(2)
                .build()
                .toString())
        .contains("60 requests per PT1M")
        .contains("request quota 100 DAILY in Z")
        .contains("at most 2 in flight");
  }
}
