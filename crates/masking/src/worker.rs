//! A camera's masker on a thread of its own. Decoding and re-encoding a picture is tens of
//! milliseconds of CPU: on its own thread it neither holds up the recorder's async workers nor
//! needs the codec to be `Send` (libavcodec's contexts are not). One thread per masked camera;
//! the operating system spreads them over the cores.

use crate::{MaskError, MaskedFrame, Masker, Polygon, Settings};
use std::sync::{Mutex, mpsc};

/// Which codec re-encodes the masked pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// openh264 decode and encode (the default build: no system library, BSD source).
    OpenH264,
    /// libavcodec decode and libx264 encode (the optional `libav` build: Debian's libavcodec,
    /// GPL; as fast as `ffmpeg -preset ultrafast`).
    #[cfg(feature = "libav")]
    X264,
}

impl Codec {
    /// The fastest codec this build has.
    pub fn best_built() -> Codec {
        #[cfg(feature = "libav")]
        return Codec::X264;
        #[cfg(not(feature = "libav"))]
        Codec::OpenH264
    }

    /// Its name, for logs and the audit trail.
    pub fn name(self) -> &'static str {
        match self {
            Codec::OpenH264 => "openh264",
            #[cfg(feature = "libav")]
            Codec::X264 => "libavcodec+libx264",
        }
    }
}

/// What the thread is asked.
enum Job {
    Frame { data: Vec<u8>, keyframe: bool, camera_avcc: Vec<u8> },
    Polygons(Vec<Polygon>),
}

/// The thread's answer to a frame: the masked frame, and the stream's avcC after a keyframe.
type Reply = Result<(Option<MaskedFrame>, Option<Vec<u8>>), MaskError>;

/// The two maskers behind one face, on the thread.
trait Burn {
    fn frame(&mut self, data: &[u8], keyframe: bool, camera_avcc: &[u8]) -> Reply;
    fn set_polygons(&mut self, polygons: Vec<Polygon>);
}

impl Burn for Masker {
    fn frame(&mut self, data: &[u8], keyframe: bool, camera_avcc: &[u8]) -> Reply {
        let out = self.process(data, keyframe, camera_avcc)?;
        let avcc = out.as_ref().filter(|f| f.keyframe).and_then(|_| self.avcc());
        Ok((out, avcc))
    }
    fn set_polygons(&mut self, polygons: Vec<Polygon>) {
        Masker::set_polygons(self, polygons);
    }
}

#[cfg(feature = "libav")]
struct X264 {
    masker: crate::libav::X264Masker,
    annexb: Vec<u8>,
}

#[cfg(feature = "libav")]
impl Burn for X264 {
    fn frame(&mut self, data: &[u8], keyframe: bool, camera_avcc: &[u8]) -> Reply {
        crate::to_annexb(data, keyframe, camera_avcc, &mut self.annexb)?;
        let out = self.masker.process(&self.annexb, keyframe)?;
        let avcc = out.as_ref().filter(|f| f.keyframe).and_then(|_| self.masker.avcc());
        Ok((out, avcc))
    }
    fn set_polygons(&mut self, polygons: Vec<Polygon>) {
        self.masker.set_polygons(polygons);
    }
}

fn burner(
    codec: Codec,
    polygons: Vec<Polygon>,
    settings: Settings,
) -> Result<Box<dyn Burn>, MaskError> {
    Ok(match codec {
        Codec::OpenH264 => Box::new(Masker::new(polygons, settings)?),
        #[cfg(feature = "libav")]
        Codec::X264 => Box::new(X264 {
            masker: crate::libav::X264Masker::new(polygons, settings)?,
            annexb: Vec::new(),
        }),
    })
}

/// A masker running on its own thread; the calls block until the thread answers. A masker
/// that cannot be made, or a thread that stopped, is an error — never an unmasked frame.
pub struct MaskWorker {
    jobs: Option<mpsc::Sender<Job>>,
    /// In a mutex only so that the worker is `Sync` (a receiver is not): one caller at a time.
    replies: Mutex<mpsc::Receiver<Reply>>,
    thread: Option<std::thread::JoinHandle<()>>,
    avcc: Option<Vec<u8>>,
    codec: Codec,
}

impl MaskWorker {
    /// Starts the thread with its masker (`name` names the thread: the camera).
    pub fn spawn(
        name: &str,
        codec: Codec,
        polygons: Vec<Polygon>,
        settings: Settings,
    ) -> Result<MaskWorker, MaskError> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (reply_tx, replies) = mpsc::channel::<Reply>();
        let thread = std::thread::Builder::new()
            .name(format!("mask-{name}"))
            .spawn(move || {
                let mut b = match burner(codec, polygons, settings) {
                    Ok(b) => {
                        let _ = reply_tx.send(Ok((None, None)));
                        b
                    }
                    Err(e) => {
                        let _ = reply_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = job_rx.recv() {
                    match job {
                        Job::Polygons(p) => b.set_polygons(p),
                        Job::Frame { data, keyframe, camera_avcc } => {
                            if reply_tx.send(b.frame(&data, keyframe, &camera_avcc)).is_err() {
                                return;
                            }
                        }
                    }
                }
            })
            .map_err(|e| MaskError::Codec(format!("mask thread: {e}")))?;
        // The masker is made on the thread: wait for it to say whether that worked.
        replies.recv().map_err(|_| stopped())??;
        let replies = Mutex::new(replies);
        Ok(MaskWorker { jobs: Some(jobs), replies, thread: Some(thread), avcc: None, codec })
    }

    /// The codec in use.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Masks one frame (4-byte length-prefixed NAL units, with the camera's avcC). `None` when
    /// the decoder produced no picture for it.
    pub fn process(
        &mut self,
        data: Vec<u8>,
        keyframe: bool,
        camera_avcc: &[u8],
    ) -> Result<Option<MaskedFrame>, MaskError> {
        // Only keyframes read the camera's parameter sets: no copy for the frames between.
        let camera_avcc = if keyframe { camera_avcc.to_vec() } else { Vec::new() };
        let job = Job::Frame { data, keyframe, camera_avcc };
        self.jobs.as_ref().ok_or_else(stopped)?.send(job).map_err(|_| stopped())?;
        let replies = self.replies.get_mut().map_err(|_| stopped())?;
        let (frame, avcc) = replies.recv().map_err(|_| stopped())??;
        if avcc.is_some() {
            self.avcc = avcc;
        }
        Ok(frame)
    }

    /// Replaces the masks from the next keyframe on.
    pub fn set_polygons(&mut self, polygons: Vec<Polygon>) -> Result<(), MaskError> {
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send(Job::Polygons(polygons)).map_err(|_| stopped())
    }

    /// The avcC record of the re-encoded stream (after its first keyframe).
    pub fn avcc(&self) -> Option<Vec<u8>> {
        self.avcc.clone()
    }
}

fn stopped() -> MaskError {
    MaskError::Codec("the masking thread stopped".into())
}

impl Drop for MaskWorker {
    fn drop(&mut self) {
        // Closing the job channel ends the thread's loop.
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
