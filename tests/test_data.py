"""TensorDataset, DataLoader and the bundled datasets (nothing here touches the network)."""

import gzip
import io
import struct
import urllib.error
import urllib.request

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import data
from tinygrad_np.data import DataLoader, Dataset, TensorDataset, default_collate


# ----------------------------------------------------------------------------- TensorDataset
def test_tensor_dataset_len_and_indexing():
    X = np.arange(20.0).reshape(10, 2)
    y = tg.Tensor(np.arange(10))
    ds = TensorDataset(X, y)
    assert len(ds) == 10
    x3, y3 = ds[3]
    assert isinstance(x3, tg.Tensor) and isinstance(y3, tg.Tensor)
    np.testing.assert_array_equal(x3.data, [6.0, 7.0])
    assert y3.item() == 3 and ds[-1][1].item() == 9
    assert ds.tensors[0].data is X  # arrays are wrapped, not copied
    assert [int(b) for _, b in ds] == list(range(10))  # iteration stops at IndexError
    with pytest.raises(IndexError):
        ds[10]


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.array(1.0))


# ----------------------------------------------------------------------------- DataLoader
def _ds(n=10):
    return TensorDataset(np.arange(n * 3, dtype=np.float32).reshape(n, 3), np.arange(n))


@pytest.mark.parametrize("n, bs, drop_last, expected", [
    (10, 3, False, [3, 3, 3, 1]),
    (10, 3, True, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]),
    (10, 1, False, [1] * 10),
    (2, 5, False, [2]),
    (2, 5, True, []),
    (0, 4, False, []),
])
def test_batch_sizes_and_len(n, bs, drop_last, expected):
    loader = DataLoader(_ds(n), batch_size=bs, drop_last=drop_last)
    sizes = [len(y) for _, y in loader]
    assert sizes == expected and len(loader) == len(expected)


def test_batches_in_order_without_shuffle():
    ds = _ds(10)
    batches = list(DataLoader(ds, batch_size=4))
    xs = np.concatenate([x.data for x, _ in batches])
    ys = np.concatenate([y.data for _, y in batches])
    np.testing.assert_array_equal(xs, ds.tensors[0].data)
    np.testing.assert_array_equal(ys, np.arange(10))
    x, y = batches[0]
    assert x.dtype == np.float32 and y.dtype == np.int64 and not x.requires_grad


def test_shuffle_is_a_permutation_keeps_pairs_and_changes_each_epoch():
    ds = _ds(50)
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=0)
    epochs = []
    for _ in range(2):
        xs, ys = zip(*[(x.data, y.data) for x, y in loader])
        xs, ys = np.concatenate(xs), np.concatenate(ys)
        np.testing.assert_array_equal(np.sort(ys), np.arange(50))
        np.testing.assert_array_equal(xs, ds.tensors[0].data[ys])  # x and y stay paired
        epochs.append(ys)
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[0], np.arange(50))


def test_generator_seed_and_global_generator_are_reproducible():
    ds = _ds(30)

    def order(loader):
        return np.concatenate([y.data for _, y in loader])

    a, b = DataLoader(ds, 7, shuffle=True, generator=123), DataLoader(ds, 7, shuffle=True, generator=123)
    np.testing.assert_array_equal(order(a), order(b))
    np.testing.assert_array_equal(order(a), order(b))  # the same sequence of epochs
    expected = np.random.default_rng(5).permutation(30)
    np.testing.assert_array_equal(order(DataLoader(ds, 7, shuffle=True, generator=np.random.default_rng(5))), expected)
    tg.manual_seed(9)
    first = order(DataLoader(ds, 7, shuffle=True))
    tg.manual_seed(9)
    np.testing.assert_array_equal(order(DataLoader(ds, 7, shuffle=True)), first)


def test_order_is_drawn_at_iter_time():
    loader = DataLoader(_ds(20), 5, shuffle=True)
    tg.manual_seed(1)
    it = iter(loader)
    tg.manual_seed(2)  # changing the global generator after iter() does not change this epoch
    got = np.concatenate([y.data for _, y in it])
    np.testing.assert_array_equal(got, np.random.default_rng(1).permutation(20))


class Squares(Dataset):
    """A generic map-style dataset: samples are collated one by one."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        if not 0 <= i < 7:
            raise IndexError(i)
        return np.array([i, i * i], dtype=np.float32), i, {"w": 0.5 * i, "ok": i % 2 == 0}


def test_generic_dataset_is_collated_with_stacking():
    loader = DataLoader(Squares(), batch_size=3, shuffle=True, generator=0)
    seen = []
    for x, i, extra in loader:
        assert x.dtype == np.float32 and x.shape[1:] == (2,)
        assert i.dtype == np.int64 and extra["w"].dtype == np.float32 and extra["ok"].dtype == np.bool_
        np.testing.assert_array_equal(x.data[:, 1], i.data**2)
        np.testing.assert_allclose(extra["w"].data, 0.5 * i.data)
        seen += i.data.tolist()
    assert sorted(seen) == list(range(7)) and len(loader) == 3


def test_tensor_dataset_fast_path_matches_per_sample_collation():
    ds = _ds(11)
    fast = list(DataLoader(ds, batch_size=4, shuffle=True, generator=3))
    slow = list(DataLoader(ds, batch_size=4, shuffle=True, generator=3, collate_fn=default_collate))
    for (fx, fy), (sx, sy) in zip(fast, slow):
        np.testing.assert_array_equal(fx.data, sx.data)
        np.testing.assert_array_equal(fy.data, sy.data)
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype


def test_custom_collate_fn():
    loader = DataLoader(Squares(), batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(loader) == [4, 3]


def test_default_collate_errors():
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([np.ones(2), np.ones(3)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="no samples"):
        default_collate([])
    assert default_collate([1.5, 2.5]).dtype == np.float32
    assert default_collate([tg.Tensor(np.ones(2)), tg.Tensor(np.zeros(2))]).shape == (2, 2)


@pytest.mark.parametrize("kwargs, error", [
    (dict(batch_size=0), ValueError), (dict(batch_size=-1), ValueError), (dict(batch_size=2.5), ValueError),
    (dict(batch_size=True), ValueError), (dict(generator="seed"), TypeError),
    (dict(generator=np.random.RandomState(0)), TypeError),
])
def test_loader_argument_errors(kwargs, error):
    with pytest.raises(error):
        DataLoader(_ds(), **kwargs)
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(iter(range(3)))


def test_sampler_sets_the_order_and_batch_sampler_the_batches():
    ds = _ds(10)
    order = [6, 0, 3, 3, 5, 1, 2]
    for dataset in (ds, Squares()):
        batches = list(DataLoader(dataset, batch_size=3, sampler=order))
        assert [len(b[1]) for b in batches] == [3, 3, 1]
        ys = np.concatenate([b[1].data for b in batches])
        np.testing.assert_array_equal(ys, order)  # both datasets' second field is the index
    loader = DataLoader(ds, batch_size=3, sampler=range(7), drop_last=True)
    assert len(loader) == 2 and [len(b[1]) for b in loader] == [3, 3]
    loader = DataLoader(ds, batch_sampler=[[1, 2], [0], np.array([8, 9, 7])])
    assert len(loader) == 3
    assert [b[1].tolist() for b in loader] == [[1, 2], [0], [8, 9, 7]]

    class Reversed:  # a sampler object: read anew each epoch
        def __iter__(self):
            return iter(range(len(ds) - 1, -1, -1))

        def __len__(self):
            return len(ds)

    loader = DataLoader(ds, batch_size=4, sampler=Reversed())
    assert len(loader) == 3
    for _ in range(2):
        assert np.concatenate([y.data for _, y in loader]).tolist() == list(range(9, -1, -1))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(sampler=[0, 1], shuffle=True), ValueError, "sampler is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), ValueError, "batch_sampler is mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), ValueError, "batch_sampler is mutually exclusive"),
    (dict(sampler=5), TypeError, "iterable of indices"),
    (dict(shuffle="False"), TypeError, "shuffle must be True or False"),
    (dict(drop_last=None), TypeError, "drop_last must be True or False"),
])
def test_sampler_combinations_that_make_no_sense_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(_ds(), **kwargs)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(sampler=[0, 10]), IndexError, r"index 10, out of range.*\[0, (10|7)\)"),
    (dict(sampler=[-1]), IndexError, "index -1, out of range"),
    (dict(sampler=[0.5]), TypeError, "int indices"),
    (dict(batch_sampler=[[0, 1], [[2]]]), TypeError, "int indices"),
])
def test_bad_indices_from_a_sampler_are_refused(kwargs, error, match):
    for dataset in (_ds(10), Squares()):
        with pytest.raises(error, match=match):
            list(DataLoader(dataset, **kwargs))


# ----------------------------------------------------------------------------- XOR and the seed's patterns
def test_xor():
    X, y = data.xor()
    assert X.dtype == np.float32 and X.shape == (4, 2) and y.shape == (4, 1)
    np.testing.assert_array_equal(y.data[:, 0], np.logical_xor(X.data[:, 0], X.data[:, 1]))


def _seed_notebook_generator(n_samples):
    """generate_simple_digit_data from the seed notebook (section 6), verbatim in logic."""
    X, y = [], []
    for _ in range(n_samples):
        label = np.random.randint(0, 2)
        if label == 0:
            pattern = np.array([0.1, 0.8, 0.8, 0.1, 0.8, 0.1, 0.1, 0.8, 0.8, 0.1, 0.1, 0.8, 0.1, 0.8, 0.8, 0.1])
        else:
            pattern = np.array([0.1, 0.8, 0.8, 0.1, 0.1, 0.8, 0.8, 0.1, 0.1, 0.8, 0.8, 0.1, 0.1, 0.8, 0.8, 0.1])
        noise = np.random.randn(16) * 0.1
        X.append(np.clip(pattern + noise, 0, 1))
        y.append(label)
    return np.array(X), np.array(y)


def test_seed_patterns_match_the_notebook_exactly():
    state = np.random.get_state()
    try:
        np.random.seed(42)
        X_ref, y_ref = _seed_notebook_generator(300)
    finally:
        np.random.set_state(state)
    X, y = data.seed_patterns(300, seed=42)
    assert X.shape == (300, 16) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X.data, X_ref.astype(np.float32))
    np.testing.assert_array_equal(y.data, y_ref)
    assert 100 < y.data.sum() < 200 and X.data.min() >= 0 and X.data.max() <= 1


def test_seed_patterns_generators_and_noise():
    tg.manual_seed(0)
    a = data.seed_patterns(20)
    tg.manual_seed(0)
    b = data.seed_patterns(20)
    np.testing.assert_array_equal(a[0].data, b[0].data)
    X, y = data.seed_patterns(10, noise=0.0, seed=np.random.default_rng(0))
    ring = [0.1, 0.8, 0.8, 0.1, 0.8, 0.1, 0.1, 0.8, 0.8, 0.1, 0.1, 0.8, 0.1, 0.8, 0.8, 0.1]
    bar = [0.1, 0.8, 0.8, 0.1] * 4
    for x, label in zip(X.data, y.data):
        np.testing.assert_array_equal(x, np.float32(bar if label else ring))
    assert set(y.data.tolist()) == {0, 1}
    assert data.seed_patterns(0, seed=1)[0].shape == (0, 16)
    with pytest.raises(ValueError, match="n_samples"):
        data.seed_patterns(-1)
    with pytest.raises(ValueError, match="noise"):
        data.seed_patterns(3, noise=-0.1)
    with pytest.raises(TypeError, match="seed"):
        data.seed_patterns(3, seed="x")


# ----------------------------------------------------------------------------- digits
def test_digits_split_is_stratified_seeded_and_scaled():
    pytest.importorskip("sklearn")
    (X_tr, y_tr), (X_te, y_te) = data.digits(test_size=0.25, seed=0)
    assert X_tr.shape[1] == 64 and X_tr.dtype == np.float32 and y_tr.dtype == np.int64
    assert len(X_tr) + len(X_te) == 1797 and len(X_te) == 450
    assert 0.0 == min(X_tr.data.min(), X_te.data.min()) and max(X_tr.data.max(), X_te.data.max()) == 1.0
    counts_tr, counts_te = np.bincount(y_tr.data, minlength=10), np.bincount(y_te.data, minlength=10)
    np.testing.assert_allclose(counts_te / (counts_tr + counts_te), 0.25, atol=0.02)  # stratified
    (X_tr2, _), _ = data.digits(test_size=0.25, seed=0)
    np.testing.assert_array_equal(X_tr.data, X_tr2.data)
    (X_tr3, _), _ = data.digits(test_size=0.25, seed=1)
    assert not np.array_equal(X_tr.data, X_tr3.data)
    (X_img, _), _ = data.digits(flatten=False)
    assert X_img.shape[1:] == (8, 8)
    with pytest.raises(ValueError, match="test_size"):
        data.digits(test_size=1.5)


def test_digits_without_sklearn_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r'pip install "tinygrad_np\[train\]"'):
        data.digits()


# ----------------------------------------------------------------------------- MNIST from IDX files
def _idx(array: np.ndarray, magic=None) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x08 << 8) | array.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def _write_mnist(root, prefix="train", n=5, gz=False, images=None, labels=None):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
    labs = rng.integers(0, 10, n).astype(np.uint8)
    for name, content in [(f"{prefix}-images-idx3-ubyte", images if images is not None else _idx(imgs)),
                          (f"{prefix}-labels-idx1-ubyte", labels if labels is not None else _idx(labs))]:
        path = root / (name + ".gz" if gz else name)
        path.write_bytes(gzip.compress(content) if gz else content)
    return imgs, labs


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_reads_idx_files(tmp_path, gz, train):
    imgs, labs = _write_mnist(tmp_path, "train" if train else "t10k", gz=gz)
    X, y = data.mnist(tmp_path, train=train)
    assert X.shape == (5, 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X.data, imgs.reshape(5, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y.data, labs)
    X_img, _ = data.mnist(str(tmp_path), train=train, flatten=False)
    assert X_img.shape == (5, 28, 28)


def test_mnist_missing_files_mention_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True") as info:
        data.mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(info.value)
    _write_mnist(tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        data.mnist(tmp_path, train=False)


@pytest.mark.parametrize("images, labels, match", [
    (_idx(np.zeros((5, 28, 28)), magic=0x00000801), None, "bad magic number 0x00000801, expected 0x00000803"),
    (None, _idx(np.zeros((5, 28, 28))), "bad magic number 0x00000803, expected 0x00000801"),
    (_idx(np.zeros((5, 28, 28)))[:-10], None, "truncated or corrupt"),
    (_idx(np.zeros((5, 28, 28))) + b"extra", None, "truncated or corrupt"),
    (b"\x00\x00", None, "too short"),
    (_idx(np.zeros((5, 28, 28)))[:10], None, "truncated IDX header"),
    (_idx(np.zeros((4, 28, 28))), None, "5 labels"),
    (None, _idx(np.full(5, 10)), "digits 0-9"),
])
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_corrupt_files_give_clear_errors(tmp_path, images, labels, match, gz):
    _write_mnist(tmp_path, gz=gz, images=images, labels=labels)
    with pytest.raises(ValueError, match=match) as info:
        data.mnist(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_mnist_broken_gzip(tmp_path):
    _write_mnist(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="gzip") as info:
        data.mnist(tmp_path)
    assert str(path) in str(info.value)


def test_mnist_download_offline_is_a_clear_error(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError, match="could not download train-images-idx3-ubyte.gz") as info:
        data.mnist(tmp_path / "mnist", download=True)
    assert "no network in tests" in str(info.value) and "by hand" in str(info.value)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_mnist_download_uses_the_first_mirror_with_a_valid_file(tmp_path, monkeypatch):
    imgs = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    files = {"train-images-idx3-ubyte.gz": gzip.compress(_idx(imgs)),
             "train-labels-idx1-ubyte.gz": gzip.compress(_idx(np.array([3, 7])))}
    requested = []

    def fake_urlopen(url, timeout=None):
        requested.append(url)
        if url.startswith(data.datasets.MNIST_MIRRORS[0]):
            return io.BytesIO(b"<html>not found</html>")  # a broken mirror: skipped
        return io.BytesIO(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    X, y = data.mnist(tmp_path, download=True)
    np.testing.assert_array_equal(y.data, [3, 7])
    np.testing.assert_allclose(X.data, imgs.reshape(2, -1) / 255.0, rtol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
    assert len(requested) == 4
    requested.clear()
    data.mnist(tmp_path, download=True)  # already there: nothing fetched
    assert requested == []
