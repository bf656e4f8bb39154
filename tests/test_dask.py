"""Batch runs on Dask: a LocalCluster gives what one process gives."""

import dask
import dask.dataframe as dask_dataframe
import pandas as pd
import pytest

from classifier.batch import classify_frame, read_output, run_batch
from classifier.errors import InputError
from conftest import synthetic_page


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-pages")
    for seed in range(7):
        html, gold = synthetic_page(300 + seed)
        (folder / f"p{seed}.txt").write_text(gold)
        (folder / f"p{seed}.html").write_text(html)
    (folder / "bad.bin").write_bytes(b"\x00")
    return folder


def test_local_cluster_batch_equals_single_process(trained_models, pages, tmp_path):
    settings = {"models": str(trained_models), "trusted": True, "progress": False,
                "shard_size": 4}
    single = run_batch([pages], tmp_path / "single", **settings)
    on_dask = run_batch([pages], tmp_path / "dask", scheduler="local", workers=2, **settings)
    assert read_output(tmp_path / "dask") == read_output(tmp_path / "single")
    assert (on_dask["pages"], on_dask["unreadable"]) == (single["pages"], single["unreadable"])
    assert on_dask["shards_written"] == 4


def test_dask_dataframe_map_partitions(trained_models, pages):
    frame = pd.DataFrame({"text": [synthetic_page(400 + i)[1] for i in range(6)] + [["x\ny"]]},
                         index=[f"doc{i}" for i in range(7)])
    expected = classify_frame(frame, models=str(trained_models), trusted=True)
    assert expected["error"].iloc[-1] and expected["error"].iloc[:-1].isna().all()
    assert expected["body"].iloc[0] and expected["topic"].iloc[0]

    # Dask would turn object columns into its own string dtype; compare values.
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dask_dataframe.from_pandas(frame, npartitions=3)
        meta = classify_frame(ddf._meta, models=str(trained_models), trusted=True)
        result = ddf.map_partitions(classify_frame, models=str(trained_models), trusted=True,
                                    meta=meta).compute(scheduler="processes", num_workers=2)
    pd.testing.assert_frame_equal(result, expected)

    with pytest.raises(InputError, match="no column 'body'"):
        classify_frame(frame, "body", models=str(trained_models), trusted=True)
