from {{ cookiecutter.package_name }}.serving.rollout import (
    CHALLENGER,
    CHAMPION,
    Router,
    key_share,
)


def test_without_rollout_the_champion_answers_everything():
    router = Router("none", challenger_weight=1.0, draw=lambda: 0.0)
    assert {router.route(key).served for key in ["a", "b", None]} == {CHAMPION}


def test_a_canary_sends_its_weight_of_keys_to_the_challenger():
    router = Router("canary", challenger_weight=0.3)
    routes = [router.route(f"user-{number}").served for number in range(10_000)]
    assert 0.28 < routes.count(CHALLENGER) / len(routes) < 0.32


def test_a_key_always_reaches_the_same_model():
    router = Router("canary", challenger_weight=0.5)
    for number in range(200):
        key = f"user-{number}"
        assert len({router.route(key).served for _ in range(5)}) == 1
    # The same keys land in the same place in another process or replica.
    assert key_share("user-1") == key_share("user-1") != key_share("user-2")


def test_requests_without_a_key_are_drawn_at_random():
    draws = iter([0.05, 0.95])
    router = Router("canary", challenger_weight=0.1, draw=lambda: next(draws))
    assert [router.route(None).served for _ in range(2)] == [CHALLENGER, CHAMPION]


def test_the_weight_bounds_are_all_or_nothing():
    keys = [f"k{number}" for number in range(500)]
    assert {Router("canary", 0.0).route(key).served for key in keys} == {CHAMPION}
    assert {Router("canary", 1.0).route(key).served for key in keys} == {CHALLENGER}


def test_in_shadow_the_champion_answers_and_the_challenger_scores():
    route = Router("shadow", challenger_weight=0.0).route("anyone")
    assert (route.served, route.shadow) == (CHAMPION, CHALLENGER)
