package dev.aigateway.api.spi;

import java.util.List;

/**
 * Keeps token counters for rate limits and calendar quotas, per (limit, counter key).
 *
 * <p>Guarantees every implementation must give (the in-memory default is the reference):
 * <ul>
 *   <li><b>All or nothing.</b> {@link #reserve} admits only when every charge's counter has at
 *       least {@link LimitCharge#required()} tokens left, and then takes every charge's tokens
 *       atomically with respect to every other reserve and settle; otherwise it takes nothing
 *       anywhere. Charges that name the same limit and counter key take from that one counter
 *       together: it must have their tokens' sum left (at least 1), and each settles on its
 *       own, so the counter counts the call once per charge.</li>
 *   <li><b>Exact settlement.</b> {@link #settle} moves each counter by the difference between
 *       the actual tokens and that charge's reserved tokens, without an admission check, so a
 *       counter may go below zero (the overdraft delays later calls). Quota windows: the
 *       difference applies to the window the tokens were reserved in while it is current; once
 *       it has ended, a refund is dropped and an extra charge goes to the current window.</li>
 *   <li><b>Rates refill continuously</b> ({@code capacity} per refill period, never above
 *       capacity); <b>quotas reset</b> at each calendar window start.</li>
 *   <li><b>Any amount up to the bound.</b> Charges and settlements are between 0 and
 *       {@link dev.aigateway.api.Usage#MAX_TOKENS} tokens (the gateway never passes more); a
 *       store takes any of them, however many calls overdraw a counter, and never fails on the
 *       arithmetic. Where a counter cannot hold a debt exactly (the in-memory rate counters keep
 *       at most what their refill repays in about 73 years), it holds as much as it can: the
 *       counter then stays spent for longer than any process runs.</li>
 *   <li><b>Bounded state.</b> Counters of idle keys may be dropped once dropping them loses
 *       nothing (a full bucket, an ended window).</li>
 *   <li><b>Thread-safe</b>, and fast enough for the hot path.</li>
 * </ul>
 */
public interface TokenLimitStore {

  /**
   * Reserves every charge or none.
   *
   * @param charges one per applicable limit; an empty list admits with {@link Reservation#EMPTY}
   */
  ReserveResult reserve(List<LimitCharge> charges);

  /**
   * Settles an admitted call to the tokens it actually used (0 refunds it), at most
   * {@link dev.aigateway.api.Usage#MAX_TOKENS}. Call exactly once.
   */
  void settle(Reservation reservation, long actualTokens);
}
