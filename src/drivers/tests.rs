//! Drivers against answers known in closed form.

use rand::SeedableRng;
use rand_distr::{Distribution, Normal, Uniform};

use super::*;

fn rng(seed: u64) -> rand_xoshiro::Xoshiro256PlusPlus {
    rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Within `k` standard errors (of the estimate) of `want`.
#[track_caller]
fn near(e: Estimate, want: f64, k: f64) {
    assert!(
        (e.value - want).abs() <= k * e.se,
        "{} ± {} is not within {k} SE of {want}",
        e.value,
        e.se
    );
}

/// Ē = b·U with U uniform, Y = Ē + luck, and a second input V with no
/// effect: U's index is its share of Var(Y) (less the 1/G² that 20 rank
/// groups of a uniform cannot see), the swing is b × (0.95 − 0.05), V's
/// index and EVPPI are nothing beyond noise.
#[test]
fn linear_in_one_uniform_input() {
    let n = 20_000;
    let (b, s) = (100.0, 20.0);
    let mut r = rng(1);
    let uniform = Uniform::new(0.0, 1.0).unwrap();
    let noise = Normal::new(0.0, s).unwrap();
    let u: Vec<f64> = (0..n).map(|_| uniform.sample(&mut r)).collect();
    let v: Vec<f64> = (0..n).map(|_| uniform.sample(&mut r)).collect();
    let expected: Vec<f64> = u.iter().map(|x| b * x).collect();
    let outcome: Vec<f64> = expected.iter().map(|e| e + noise.sample(&mut r)).collect();
    let t = DriverTrials {
        inputs: vec![u, v],
        expected: vec![expected],
        outcome,
    };
    let a = analyse(&t, 7);
    let var_assumptions = b * b / 12.0;
    let var_y = var_assumptions + s * s;
    let share_u = var_assumptions * (1.0 - 1.0 / (GROUPS * GROUPS) as f64) / var_y;
    let cu = a.contributions.iter().find(|c| c.input == 0).unwrap();
    let cv = a.contributions.iter().find(|c| c.input == 1).unwrap();
    near(cu.share, share_u, 4.0);
    // V explains nothing: its estimate is the noise floor of 20 group
    // means, (G − 1)/n of Var(Ē)/Var(Y), and not distinguishable from it.
    let floor = (GROUPS - 1) as f64 / n as f64 * var_assumptions / var_y;
    assert!(
        cv.share.value < floor + 4.0 * cv.share.se,
        "{cv:?} floor {floor}"
    );
    near(a.luck, s * s / var_y, 4.0);
    assert!(
        a.remainder.value.abs() < 4.0 * a.remainder.se + 0.01,
        "{:?}",
        a.remainder
    );
    assert_eq!(a.tornado[0].input, 0);
    near(a.tornado[0].swing, b * 0.9, 4.0);
    assert!(!a.tornado[1].swing.distinguishable() || a.tornado[1].swing.value.abs() < 2.0);
    assert!((a.tornado[0].input_p10 - 0.1).abs() < 0.01);
    // The worst outcomes come with low U.
    assert_eq!(a.downside[0].input, 0);
    assert!(a.downside[0].mean_percentile.value < 30.0);
    assert!(a.value_of_information.is_none());
}

/// Ē = U₁ + 2·U₂: the indices add up to the assumptions' share and
/// nothing is left for interactions.
#[test]
fn additive_inputs_have_no_interaction() {
    let n = 20_000;
    let mut r = rng(2);
    let uniform = Uniform::new(0.0, 1.0).unwrap();
    let u1: Vec<f64> = (0..n).map(|_| uniform.sample(&mut r)).collect();
    let u2: Vec<f64> = (0..n).map(|_| uniform.sample(&mut r)).collect();
    let expected: Vec<f64> = u1.iter().zip(&u2).map(|(a, b)| a + 2.0 * b).collect();
    let t = DriverTrials {
        inputs: vec![u1, u2],
        outcome: expected.clone(),
        expected: vec![expected],
    };
    let a = analyse(&t, 3);
    let by = |j: usize| a.contributions.iter().find(|c| c.input == j).unwrap().share;
    let lost = 1.0 - 1.0 / (GROUPS * GROUPS) as f64;
    near(by(0), 0.2 * lost, 4.0);
    near(by(1), 0.8 * lost, 4.0);
    assert_eq!(a.luck.value, 0.0);
    near(a.remainder, 1.0 - lost, 4.0);
    assert_eq!(a.contributions[0].input, 1);
}

/// Plan A is worth U, plan B a sure 0.5: knowing U is worth everything
/// there is to know, EVPI = E[max(U, ½)] − ½ = 1/8, and V is worth nothing.
#[test]
fn ranking_flips_at_a_known_value() {
    let n = 20_000;
    let mut r = rng(4);
    let uniform = Uniform::new(0.0, 1.0).unwrap();
    let u: Vec<f64> = (0..n).map(|_| uniform.sample(&mut r)).collect();
    let v: Vec<f64> = (0..n).map(|_| uniform.sample(&mut r)).collect();
    let a_plan = u.clone();
    let b_plan = vec![0.5; n];
    let t = DriverTrials {
        inputs: vec![u, v],
        outcome: a_plan.clone(),
        expected: vec![a_plan, b_plan],
    };
    let a = analyse(&t, 5);
    let voi = a.value_of_information.unwrap();
    near(voi.evpi, 0.125, 4.0);
    let by = |j: usize| voi.inputs.iter().find(|i| i.input == j).unwrap();
    near(by(0).evppi, voi.evpi.value, 4.0);
    assert!(
        by(1).evppi.value.abs() < 4.0 * by(1).evppi.se + 1e-3,
        "{:?}",
        by(1)
    );
    assert_eq!((by(0).best_when_low, by(0).best_when_high), (1, 0));
}

#[test]
fn no_uncertain_input_is_all_luck() {
    let mut r = rng(6);
    let noise = Normal::new(0.0, 1.0).unwrap();
    let t = DriverTrials {
        inputs: vec![],
        expected: vec![vec![5.0; 1000]],
        outcome: (0..1000).map(|_| 5.0 + noise.sample(&mut r)).collect(),
    };
    let a = analyse(&t, 1);
    assert!(a.tornado.is_empty() && a.contributions.is_empty());
    assert!((a.luck.value - 1.0).abs() < 1e-12, "{:?}", a.luck);
    assert!(a.remainder.value.abs() < 1e-12, "{:?}", a.remainder);
}
