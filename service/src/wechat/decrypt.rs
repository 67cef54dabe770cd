//! `wx.getUserInfo` data: AES-128-CBC/PKCS#7 decryption with the session key, the watermark
//! check and the `rawData` signature.

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha1::{Digest, Sha1};

type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    #[error("{0} must decode to 16 bytes")]
    Length(&'static str),
    #[error("encrypted_data does not decrypt with this session")]
    Decrypt,
    #[error("the decrypted data is not for this app")]
    Watermark,
    #[error("signature does not match raw_data")]
    Signature,
}

/// Base64 as sent by the mini-program; a `+` turned into a space by form decoding is restored.
fn b64(field: &'static str, s: &str) -> Result<Vec<u8>, DecryptError> {
    STANDARD
        .decode(s.trim().replace(' ', "+"))
        .map_err(|_| DecryptError::Base64(field))
}

/// Decrypts `encrypted_data` and requires `watermark.appid == app_id`.
pub fn decrypt_user_data(
    session_key: &str,
    encrypted_data: &str,
    iv: &str,
    app_id: &str,
) -> Result<Value, DecryptError> {
    let key = b64("session_key", session_key)?;
    let iv = b64("iv", iv)?;
    let data = b64("encrypted_data", encrypted_data)?;
    if key.len() != 16 {
        return Err(DecryptError::Length("session_key"));
    }
    if iv.len() != 16 {
        return Err(DecryptError::Length("iv"));
    }
    if data.is_empty() || data.len() % 16 != 0 {
        return Err(DecryptError::Decrypt);
    }
    let dec = Aes128CbcDec::new_from_slices(&key, &iv).map_err(|_| DecryptError::Decrypt)?;
    // Strict PKCS#7: a bad pad is an error, not a truncated plaintext.
    let plain = dec
        .decrypt_padded_vec_mut::<Pkcs7>(&data)
        .map_err(|_| DecryptError::Decrypt)?;
    let value: Value = serde_json::from_slice(&plain).map_err(|_| DecryptError::Decrypt)?;
    let appid = value
        .get("watermark")
        .and_then(|w| w.get("appid"))
        .and_then(|a| a.as_str());
    if appid != Some(app_id) {
        return Err(DecryptError::Watermark);
    }
    Ok(value)
}

/// `signature == hex(sha1(raw_data + session_key))`, compared in constant time.
pub fn check_signature(
    raw_data: &str,
    session_key: &str,
    signature: &str,
) -> Result<(), DecryptError> {
    let mut h = Sha1::new();
    h.update(raw_data.as_bytes());
    h.update(session_key.as_bytes());
    let expected = hex::encode(h.finalize());
    if crate::crypto::ct_eq(
        expected.as_bytes(),
        signature.trim().to_ascii_lowercase().as_bytes(),
    ) {
        Ok(())
    } else {
        Err(DecryptError::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPID: &str = "wx4f4bc4dec97d474b";
    const SESSION_KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
    const IV: &str = "r7BXXKkLb8qrSNn05n0qiA==";
    pub const DATA: &str = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==";

    #[test]
    fn decrypts_wechats_public_vector() {
        let v = decrypt_user_data(SESSION_KEY, DATA, IV, APPID).unwrap();
        assert_eq!(v["openId"], "oGZUI0egBJY1zhBYw2KhdUfwVJJE");
        assert_eq!(v["nickName"], "Band");
        assert_eq!(v["unionId"], "ocMvos6NjeKLIBqg5Mr9QjxrP1FA");
        assert_eq!(v["watermark"]["timestamp"], 1477314187);
    }

    #[test]
    fn space_for_plus_is_repaired() {
        let mangled = DATA.replace('+', " ");
        assert!(decrypt_user_data(SESSION_KEY, &mangled, IV, APPID).is_ok());
    }

    #[test]
    fn rejects_other_app_bad_lengths_and_wrong_key() {
        assert_eq!(
            decrypt_user_data(SESSION_KEY, DATA, IV, "wx_other").unwrap_err(),
            DecryptError::Watermark
        );
        assert_eq!(
            decrypt_user_data("c2hvcnQ=", DATA, IV, APPID).unwrap_err(),
            DecryptError::Length("session_key")
        );
        assert_eq!(
            decrypt_user_data(SESSION_KEY, DATA, "c2hvcnQ=", APPID).unwrap_err(),
            DecryptError::Length("iv")
        );
        assert_eq!(
            decrypt_user_data("HyVFkGl5F5OQWJZZaNzBBg==", DATA, IV, APPID).unwrap_err(),
            DecryptError::Decrypt
        );
        assert_eq!(
            decrypt_user_data(SESSION_KEY, "YWJj", IV, APPID).unwrap_err(),
            DecryptError::Decrypt
        );
        assert_eq!(
            decrypt_user_data(SESSION_KEY, "!!", IV, APPID).unwrap_err(),
            DecryptError::Base64("encrypted_data")
        );
    }

    #[test]
    fn signature_vector_from_wxjava() {
        let raw = r#"{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}"#;
        assert!(
            check_signature(
                raw,
                "HyVFkGl5F5OQWJZZaNzBBg==",
                "75e81ceda165f4ffa64f4068af58c64b8f54b88c"
            )
            .is_ok()
        );
        assert_eq!(
            check_signature(
                raw,
                "HyVFkGl5F5OQWJZZaNzBBg==",
                "75e81ceda165f4ffa64f4068af58c64b8f54b88d"
            ),
            Err(DecryptError::Signature)
        );
    }

    #[test]
    fn signature_matches_sha1sum() {
        // printf '%s' 'hello{}abc' | sha1sum
        assert!(
            check_signature("hello{}", "abc", "60a0cdb37d517a28742164983b4c676abc086265").is_ok()
        );
        assert!(
            check_signature("hello{}", "abd", "60a0cdb37d517a28742164983b4c676abc086265").is_err()
        );
    }
}
