"""Progress bars of long runs."""

import io
import time

from tqdm import tqdm

from classifier.progress import count_as_done_before


def test_items_done_by_an_earlier_run_count_in_the_total_not_in_the_rate():
    for smoothing in (0.0, 0.3):
        bar = tqdm(total=None, file=io.StringIO(), smoothing=smoothing, mininterval=0)
        count_as_done_before(bar, 100_000)  # a resumed run's finished shards
        time.sleep(0.05)
        bar.update(5)
        time.sleep(0.05)
        bar.update(5)
        meter = bar.format_dict
        assert meter["n"] == 100_010
        rate = meter["rate"] or (meter["n"] - meter["initial"]) / meter["elapsed"]
        assert rate < 1_000  # ~100 pages/s, not ~1,000,000
        bar.close()


def test_a_disabled_bar_is_left_alone():
    bar = tqdm(total=None, disable=True)
    count_as_done_before(bar, 10)
    assert bar.n == 0
