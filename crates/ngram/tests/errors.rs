//! Fitting refuses what it cannot model, and says why.

use ngram::{DEFAULT_ORDER, NgramError, NgramModel, NgramParams};

#[test]
fn orders_zero_and_eleven_are_refused_naming_the_order_and_the_range() {
    for order in [0, 11, 100] {
        let err = NgramModel::fit(&[2, 3, 1], 5, order).unwrap_err();
        assert!(
            matches!(err, NgramError::Order { order: o } if o == order),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains(&format!("order {order}")), "{message}");
        assert!(message.contains("1..=10"), "{message}");
    }
    for order in [1, 10] {
        assert!(NgramModel::fit(&[2, 3, 1], 5, order).is_ok());
    }
}

#[test]
fn params_default_to_order_five_and_validate() {
    assert_eq!(NgramParams::default().order, DEFAULT_ORDER);
    assert_eq!(DEFAULT_ORDER, 5);
    assert!(NgramParams::default().validate().is_ok());
    assert!(NgramParams { order: 0 }.validate().is_err());
    assert!(NgramParams { order: 11 }.validate().is_err());
    let model = NgramModel::fit_params(&[2, 3, 1], 5, &NgramParams { order: 2 }).unwrap();
    assert_eq!(model.params(), NgramParams { order: 2 });
}

#[test]
fn an_id_outside_the_vocabulary_is_refused_naming_its_position_and_id() {
    let err = NgramModel::fit(&[2, 3, 1, 0, 7, 4, 9], 6, 3).unwrap_err();
    assert!(
        matches!(
            err,
            NgramError::IdOutOfRange {
                position: 4,
                id: 7,
                vocab_size: 6
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("position 4"), "{message}");
    assert!(message.contains("id 7"), "{message}");
    assert!(message.contains("vocabulary size 6"), "{message}");
    // The vocabulary size itself is out of range too.
    assert!(matches!(
        NgramModel::fit(&[2, 6], 6, 3),
        Err(NgramError::IdOutOfRange {
            position: 1,
            id: 6,
            ..
        })
    ));
}

#[test]
fn an_empty_stream_is_refused() {
    let err = NgramModel::fit(&[], 10, 3).unwrap_err();
    assert!(matches!(err, NgramError::EmptyStream), "{err:?}");
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn the_order_is_checked_before_the_stream() {
    assert!(matches!(
        NgramModel::fit(&[], 10, 0),
        Err(NgramError::Order { order: 0 })
    ));
}
