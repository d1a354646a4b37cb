package dev.aigateway.api.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reservation handle's own behaviour, and the checks every store applies to a settlement. */
class ReservationTest {

  private static final LimitSpec TOKENS = LimitSpec.rate("tpm", 1000, Duration.ofMinutes(1));
  private static final LimitSpec REQUESTS =
      LimitSpec.rate("rpm", LimitSpec.Unit.REQUESTS, 1000, Duration.ofMinutes(1));
  private static final LimitSpec SLOTS = LimitSpec.inFlight("f", 4);

  @Test
  void emptyReservationHasNoChargesAndReservesNoTokens() {
    assertThat(Reservation.EMPTY.charges()).isEmpty();
    assertThat(Reservation.EMPTY.reservedTokens()).isZero();
    assertThat(Reservation.EMPTY).hasToString("Reservation.EMPTY");
  }

  @Test
  void reservedTokensCountsOnlyLimitsOfTokens() {
    Reservation reservation =
        () ->
            List.of(
                new LimitCharge(TOKENS, "a", 300),
                new LimitCharge(REQUESTS, "a", 900),
                new LimitCharge(SLOTS, "a", 1));

    assertThat(reservation.reservedTokens()).isEqualTo(300);
  }

  @Test
  void reservedTokensIsTheLargestTokenChargeInAListOfAnyKind() {
    LimitSpec other = LimitSpec.rate("tpd", LimitSpec.Unit.TOKENS, 10_000, Duration.ofDays(1));
    List<LimitCharge> charges =
        List.of(
            new LimitCharge(TOKENS, "a", 300),
            new LimitCharge(REQUESTS, "a", 900),
            new LimitCharge(other, "a", 450),
            new LimitCharge(SLOTS, "a", 1));
    List<LimitCharge> linked = new java.util.LinkedList<>(charges);
    List<LimitCharge> array = new java.util.ArrayList<>(charges);

    assertThat(((Reservation) () -> charges).reservedTokens()).isEqualTo(450);
    assertThat(((Reservation) () -> linked).reservedTokens()).isEqualTo(450);
    assertThat(((Reservation) () -> array).reservedTokens()).isEqualTo(450);
    assertThat(((Reservation) () -> List.of(new LimitCharge(REQUESTS, "a", 900))).reservedTokens())
        .isZero();
  }

  @Test
  void settlementDeltasAreActualMinusReservedPerCharge() {
    List<LimitCharge> charges =
        List.of(
            new LimitCharge(TOKENS, "a", 300),
            new LimitCharge(REQUESTS, "a", 1),
            new LimitCharge(SLOTS, "a", 1));

    assertThat(TokenLimitStore.settlementDeltas(charges, new long[] {450, 0, 0}))
        .containsExactly(150, -1, -1);
  }

  @Test
  void settlementNeedsOneAmountPerCharge() {
    List<LimitCharge> charges = List.of(new LimitCharge(TOKENS, "a", 300));

    assertThatThrownBy(() -> TokenLimitStore.settlementDeltas(charges, new long[] {1, 2}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("settle needs one actual amount per charge: 1 charges but 2 amounts");
  }

  @Test
  void settlementAmountsMustNotBeNegative() {
    List<LimitCharge> charges = List.of(new LimitCharge(TOKENS, "a", 300));

    assertThatThrownBy(() -> TokenLimitStore.settlementDeltas(charges, new long[] {-5}))
        .hasMessage(
            "actual amount 0 (limit 'tpm') must be between 0 and 1000000000000"
                + " (Usage.MAX_TOKENS) but was -5");
  }

  @Test
  void settlementAmountsMustNotExceedTheBound() {
    List<LimitCharge> charges = List.of(new LimitCharge(TOKENS, "a", 300));

    assertThatThrownBy(
            () ->
                TokenLimitStore.settlementDeltas(
                    charges, new long[] {dev.aigateway.api.Usage.MAX_TOKENS + 1}))
        .hasMessageEndingWith("but was 1000000000001");
  }

  @Test
  void anInFlightChargeMustSettleToZero() {
    List<LimitCharge> charges =
        List.of(new LimitCharge(TOKENS, "a", 300), new LimitCharge(SLOTS, "a", 1));

    assertThatThrownBy(() -> TokenLimitStore.settlementDeltas(charges, new long[] {300, 1}))
        .hasMessage(
            "actual amount 1 (in-flight limit 'f') must be 0, since settling frees the "
                + "slot, but was 1");
  }

  @Test
  void checkSettlementAcceptsAndRefusesWhatSettlementDeltasDoes() {
    List<LimitCharge> charges =
        List.of(new LimitCharge(TOKENS, "a", 300), new LimitCharge(SLOTS, "a", 1));
    long[][] amounts = {
      {450, 0},
      {0, 0},
      {dev.aigateway.api.Usage.MAX_TOKENS, 0},
      {300},
      {300, 0, 0},
      {-1, 0},
      {dev.aigateway.api.Usage.MAX_TOKENS + 1, 0},
      {300, 1},
      {Long.MIN_VALUE, 0}
    };
    for (long[] actual : amounts) {
      Throwable byDeltas = catchThrowable(() -> TokenLimitStore.settlementDeltas(charges, actual));
      Throwable byCheck = catchThrowable(() -> TokenLimitStore.checkSettlement(charges, actual));
      if (byDeltas == null) {
        assertThat(byCheck).as("accepted %s", java.util.Arrays.toString(actual)).isNull();
      } else {
        assertThat(byCheck)
            .as("refused %s", java.util.Arrays.toString(actual))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage(byDeltas.getMessage());
      }
    }
    assertThat(catchThrowable(() -> TokenLimitStore.checkSettlement(charges, new long[] {1, 1})))
        .hasMessageContaining("in-flight limit 'f'");
  }
}
